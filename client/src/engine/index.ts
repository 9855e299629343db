// The sync engine's public surface, the same for the Node and the browser
// client: its errors, the app's callbacks and the events.
export { ConflictsNotImplementedError, TransferFailedError } from "./engineErrors.ts";
export type { RecoveryEvent, SyncEvents } from "./events.ts";
export type { LiveConnectionEvent, LiveConnectionState, LiveOptions, RemoteChangeEvent } from "./liveSync.ts";
export type { ConflictResolution, EngineCallbacks, EngineTuning } from "./options.ts";
export type { BatchProgressEvent } from "./batchProgress.ts";
export type { ClientCrashPoint } from "./crashPoints.ts";
export type { Operation, ServerTransferEvent } from "./followOperation.ts";
export type { Conflict, IndexEntry } from "./planDownloads.ts";
export type { TransferWaitCode, TransferWaitingEvent } from "./transferWaits.ts";
