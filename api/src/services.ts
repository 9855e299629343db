// What every part of the server works with, built once in app.ts.
import type { BlockHashCache } from "./batches/BlockHashCache.ts";
import type { CloudStorage } from "./cloud/CloudStorage.ts";
import type { Config } from "./config/config.ts";
import type { Database } from "./database/client.ts";
import type { EventNotifier } from "./events/EventNotifier.ts";
import type { FileIndexCache } from "./fileIndex/FileIndexCache.ts";
import type { GoogleCredentials } from "./google/googleCredentials.ts";
import type { RequestLimits } from "./limits/RequestLimits.ts";
import type { LockLine } from "./locks/LockLine.ts";
import type { Logger } from "./logging/logger.ts";
import type { StagingArea } from "./staging/StagingArea.ts";
import type { Clock } from "./time/clock.ts";
import type { TransferWakeups } from "./transfers/TransferWakeups.ts";

export interface Services {
  config: Config;
  db: Database;
  notifier: EventNotifier;
  cloud: CloudStorage;
  staging: StagingArea;
  logger: Logger;
  /** The time every expiry, lease and backoff decision reads (time/clock.ts). */
  clock: Clock;
  /** Google sign-in and users' Google access tokens; null when Google is not configured. */
  google: GoogleCredentials | null;
  /** Block hashes of file versions, kept for the delta paths' blocks requests. */
  blockHashes: BlockHashCache;
  /** Each user's file index as last read, answered again while their event position has not moved. */
  fileIndexes: FileIndexCache;
  /** Rate limits and the in-flight cap of every request. */
  requestLimits: RequestLimits;
  /** The devices waiting for each user's lock, in order. */
  lockLine: LockLine;
  /** Raised when new transfer work is recorded; the transfer worker listens. */
  transferWakeups: TransferWakeups;
}
