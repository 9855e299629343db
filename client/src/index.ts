// @smsync/client: the SDK an app embeds (work in progress, issue 3).
export * from "./errors.ts";
export * from "./store/ClientStore.ts";
export { MemoryStore } from "./store/MemoryStore.ts";
export { IndexedDbStore, type IndexedDbStoreOptions } from "./store/IndexedDbStore.ts";
export * from "./modes.ts";
export { ClientUsageError } from "./queues/ClientUsageError.ts";
// Node and Electron: import { SqliteStore } from "@smsync/client/sqlite" (a native module, kept out of browser bundles).
