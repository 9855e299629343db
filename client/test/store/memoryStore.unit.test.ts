import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { clientStoreContract } from "./clientStoreContract.ts";

clientStoreContract("MemoryStore", () => Promise.resolve({ store: new MemoryStore() }));
