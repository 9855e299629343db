// @smsync/client: the SDK an app embeds (work in progress, issue 3).
export * from "./errors.ts";
export * from "./store/ClientStore.ts";
export { MemoryStore } from "./store/MemoryStore.ts";
