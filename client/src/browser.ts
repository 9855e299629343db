// The SDK for browsers: the sync engine and its public client over IndexedDB,
// with downloads handed over as Blobs and the page's lifecycle followed.
//   import { BrowserSmsyncClient, IndexedDbStore } from "@smsync/client/browser";
export { BrowserSmsyncClient, type BrowserClientOptions } from "./browser/BrowserSmsyncClient.ts";
export type { BrowserDownloadedFile } from "./browser/browserPlatform.ts";
export { attachBrowserLifecycle, type LifecycleTarget } from "./browser/lifecycle.ts";
export type { UploadOptions, LocalFileStatus, ClientEvents } from "./ClientBase.ts";
export * from "./engine/index.ts";
export { IndexedDbStore, type IndexedDbStoreOptions } from "./store/IndexedDbStore.ts";
export * from "./errors.ts";
export * from "./modes.ts";
export { ClientUsageError } from "./queues/ClientUsageError.ts";
export { LocalSourceError } from "./transfers/uploadSources.ts";
export * from "./signIn/googleSignIn.ts";
export * from "./browser/googleRedirectSignIn.ts";
