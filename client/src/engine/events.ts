// The engine's events (the public SyncEvents) and the emitter every phase
// emits through.
import { SmsyncClientError } from "../errors.ts";
import type { Mode } from "../modes.ts";
import type { BatchProgressEvent } from "./batchProgress.ts";
import type { ServerTransferEvent } from "./followOperation.ts";
import type { TransferWaitingEvent } from "./transferWaits.ts";

export type SyncEvents = {
  modeChanged: { mode: Mode; previous: Mode; error?: Error };
  /**
   * A committed change is in the index. alreadyOnServer: the server had it before this device's pass sent it (its batch
   * was applied in part before a failed transfer and a reset, or another device made the same change), so this device
   * made no version of its own.
   */
  singleUploadComplete: {
    fileUUID: string;
    version: number;
    kind: "upload" | "delete";
    batch: number;
    alreadyOnServer?: true;
  };
  allUploadsComplete: { batch: number; operationId: string | null };
  singleDownloadComplete: { fileUUID: string; version: number };
  downloadsFinished: { count: number };
  deletionsApplied: { fileUUIDs: string[] };
  lockHeldElsewhere: { retryInMs: number };
  /**
   * Work taken over from an earlier pass or process: an inbound transfer
   * whose files were not all delivered, a batch being uploaded or committed;
   * and, once a pass finishes after network failures, the network's return.
   */
  recovery: RecoveryEvent;
  /**
   * Bytes and files of the batch being uploaded, or of the inbound transfer
   * being downloaded (after a relaunch: of what was left to download).
   */
  batchProgress: BatchProgressEvent;
  /** An event of a server transfer this device follows (from the transferProgress subscription): the server's progress staging or committing files. */
  serverTransferEvent: ServerTransferEvent;
  /** Bytes of a file sent (from a resumed offset on) or received so far (the resumed part included). */
  transferProgress: {
    direction: "upload" | "download";
    fileUUID: string;
    version: number;
    bytesDone: number;
    bytesTotal: number | null;
  };
  /**
   * A transfer waits for room (transferWaits.ts): CLOUD_STORAGE_FULL (the person must free space or buy more),
   * CLOUD_RATE_LIMITED, or STAGING_FULL (the server's disk) while the server's transfer waits and resumes by
   * itself; STAGING_FULL also when the staging area refused an upload, which resumes on a later pass. Once when the wait begins.
   */
  transferWaiting: TransferWaitingEvent;
  /**
   * A failure of work that no call of the app's waits for: renewing the lock's
   * lease, taking an answer that a relaunch left to the outbox, or storing a
   * mode (which is the mode in memory all the same). The engine goes on (a
   * lease that lapses is met as a lost lock, and a store that fails fails the
   * pass too); the failure is the app's to log.
   */
  backgroundFailure: { during: "renewLease" | "takeLeftOverAnswer" | "storeMode"; error: Error };
  /** Live mode (liveSync.ts): another device's commit landed in the index (fileIndexChanged); a pass follows. */
  remoteChange: {
    seq: number;
    deviceId: string;
    operationId: string;
    files: { fileUUID: string; version: number; deleted: boolean }[];
  };
  /**
   * Live mode: how it hears of changes now, at each change: the subscription, polling eventSeq while the
   * subscription is down (error: why it went down), or not at all (stopLive, close; error: the token was refused).
   */
  liveConnection: { state: "subscribed" | "polling" | "stopped"; error?: Error };
};

/** The engine or its outbox stopping (suspend, close, reset): what a background step then meets, and no failure. */
export function isStopping(error: unknown): boolean {
  return (
    error instanceof SmsyncClientError &&
    ["SUSPENDED", "CLOSED", "OUTBOX_CLOSED", "OUTBOX_CLEARED"].includes(error.code)
  );
}

/** A thrown value as the Error an event carries. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export type RecoveryEvent =
  | { kind: "resumedDownloads"; files: number; operationId: string | null }
  | { kind: "resumedBatch"; batch: number; stage: "uploading" | "committing"; operationId: string | null }
  /** failedPasses: passes that ended in networkNotConnected before (0 when only requests were retried). */
  | { kind: "networkRestored"; failedPasses: number };

export type SyncEventListener<E extends keyof SyncEvents> = (event: SyncEvents[E]) => void;

export class SyncEventEmitter {
  private readonly listeners = new Map<keyof SyncEvents, Set<(event: never) => void>>();

  on<E extends keyof SyncEvents>(event: E, listener: SyncEventListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<E extends keyof SyncEvents>(event: E, payload: SyncEvents[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as SyncEventListener<E>)(payload);
      } catch {
        // A listener's failure is the app's; the engine goes on.
      }
    }
  }
}
