// @smsync/api: the server's public entry, for the workspaces that run it in
// process (testkit's test servers, the simulator, benches): start the app,
// configure and log it, add users and devices, open its database, and the
// cloud storage it writes to. Crash points (fault injection) are at
// "@smsync/api/faults"; the Google Drive backend at "@smsync/api/googleDrive"
// (apart, so that a process that does not use it never loads googleapis).
// Nothing else of api/src is imported by another
// workspace (see CONTRIBUTING.md, "Workspaces").
export { startApp, type App, type AppOverrides } from "./app.ts";
export { loadConfig, ConfigError, type Config } from "./config/config.ts";
export { createLogger, type Logger } from "./logging/logger.ts";
export { OffsetClock } from "./time/OffsetClock.ts";
export { addDevice, addUser, type NewDevice } from "./auth/users.ts";
export { authenticate, type Caller } from "./auth/deviceTokens.ts";
export { openDatabase, type Database } from "./database/client.ts";
export { sweepStaging } from "./staging/StagingSweeper.ts";
export type {
  CloudObject,
  CloudObjectKey,
  CloudObjectMetadata,
  CloudStorage,
  UploadSessionRecord,
  WriteOptions,
} from "./cloud/CloudStorage.ts";
export { CloudStorageError, type CloudFailureKind } from "./cloud/CloudStorageError.ts";
export { LocalDirectoryStorage } from "./cloud/LocalDirectoryStorage.ts";
export type { DriveFolderRecords } from "./cloud/googleDrive/appFolders.ts";
export type { GoogleAccessTokens } from "./google/GoogleAccessTokens.ts";
