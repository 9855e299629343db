// The SDK for Node and Electron: the sync engine and its public client (they
// use the file system for staged downloads and copies of queued uploads).
//   import { SmsyncClient } from "@smsync/client/node";
export {
  SmsyncClient,
  type SmsyncClientOptions,
  type FileToUpload,
  type QueuedFile,
  type UploadFilesOptions,
  type UploadOptions,
  type LocalFileStatus,
  type ClientEvents,
} from "./SmsyncClient.ts";
export * from "./engine/index.ts";
export type { BeingUploaded, DownloadedFile, OutboundState } from "./engine/SyncEngine.ts";
export { clientCrashPointNames } from "./engine/crashPoints.ts";
export { SqliteStore } from "./store/SqliteStore.ts";
export * from "./signIn/googleSignIn.ts";
export * from "./transfers/index.ts";
