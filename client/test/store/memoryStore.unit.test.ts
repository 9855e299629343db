import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { clientStoreContract } from "./clientStoreContract.ts";

clientStoreContract("MemoryStore", async () => ({ store: new MemoryStore() }));
