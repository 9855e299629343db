// What an app gives the engine: its callbacks, the store and clients, and the timing it may tune.
import type { Client } from "@urql/core";
import type { Client as WebSocketClient } from "graphql-ws";
import type { Outbox } from "../graphql/outbox/index.ts";
import type { LocalFile } from "../queues/records.ts";
import type { UploadContent } from "../transfers/uploadSources.ts";
import type { ClientStore } from "../store/ClientStore.ts";
import type { DownloadedFile, DownloadedFileInfo, EnginePlatform } from "../platform/EnginePlatform.ts";
import type { Clock } from "../time/clock.ts";
import type { ClientCrashPoint } from "./crashPoints.ts";
import type { Conflict, IndexEntry } from "./planDownloads.ts";

/** The app's callbacks; D is what a download is handed over as (Node: DownloadedFile with a path; browsers: a Blob). */
export interface EngineCallbacks<D extends DownloadedFileInfo = DownloadedFile> {
  /** Save the file (idempotent by fileUUID and version); resolving acknowledges it. Delivered at least once, acknowledged once. */
  saveDownload(file: D): Promise<void>;
  /**
   * Optional: save a group of small files that arrived in one batch download
   * (as saveDownload does each; e.g. fsyncing them together). Resolving
   * acknowledges the whole group, in one store commit; a rejection
   * acknowledges none of it (they are delivered again). Without it, each
   * file goes to saveDownload. Large files always go to saveDownload.
   */
  saveDownloads?(files: D[]): Promise<void>;
  /**
   * Optional (Node): the bytes of the version of a file this device holds (a
   * path or the bytes), or null. A new version of a file over the batch
   * size limit then comes down as the blocks that differ: the rest is copied
   * from these bytes. Each copied block is checked against the new
   * version's block hashes and the whole file against its sha256, so bytes
   * that changed since cost only the download of their blocks.
   */
  heldContent?(file: LocalFile): Promise<UploadContent | null>;
  /** Remove these files the server deleted; resolving acknowledges them. */
  applyDeletions(files: IndexEntry[]): Promise<void>;
  /**
   * A server change (a newer version, or a deletion) against a pending local
   * upload or deletion of the same file. "keep-local": the local change is
   * uploaded over the server's (a deleted file is undeleted); "accept-remote":
   * the local change is dropped and the server's version downloaded (or its
   * deletion applied). Without this callback a conflict stops the sync
   * (ConflictsNotImplementedError, nonRecoverableError).
   */
  resolveConflict?(conflict: Conflict): Promise<ConflictResolution>;
}

export type ConflictResolution = "keep-local" | "accept-remote";

export interface SyncEngineOptions<D extends DownloadedFileInfo = DownloadedFile> {
  store: ClientStore;
  client: Client;
  outbox: Outbox;
  serverUrl: string;
  token: string;
  callbacks: EngineCallbacks<D>;
  /** The graphql-ws client under `client`'s subscriptions: live mode tells from it when its subscription is served. */
  webSocket?: Pick<WebSocketClient, "on">;
  /** Staged downloads and the client-owned copies of queued uploads (platform/nodePlatform.ts, browser/browserPlatform.ts). */
  platform: EnginePlatform<D>;
  /** Polling period of the operation query while the transferProgress subscription is down (default 1 s). */
  pollMs?: number;
  /** Safety polling period while the subscription is up (default 10 s). */
  subscribedPollMs?: number;
  /** Longest wait before locking again after LOCK_HELD (default 5 s; the server's retryAfterSeconds is shorter). */
  lockRetryMaxMs?: number;
  /**
   * Once the lock was found held, how long each lock call waits in the server for it (its waitSeconds; default
   * 10, at most the server's lockMaxWaitSeconds): the device gets the lock as soon as it is its turn, without
   * polling. 0: poll after each LOCK_HELD instead.
   */
  lockWaitSeconds?: number;
  /** Backoff of passes after a network failure (ceilings from 500 ms doubling to 30 s, full jitter below each). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Uploads of a batch that run at once (default 4; 1 uploads one file after another, in fileUUID order). */
  transferConcurrency?: number;
  /** Transfer retry delays for tus and downloads (default theirs). */
  transferRetryDelays?: number[];
  /** The backoff's jitter, a number in [0, 1) (default Math.random; the simulator passes a seeded one, so a run's delays replay). */
  random?: () => number;
  /** For tests: the clock the engine waits on (default the system's; MovableClock lets a test move past a lease or a backoff). */
  clock?: Clock;
  /**
   * A test and simulation hook (apps leave it unset): awaited at each named
   * persistence point (crashPoints.ts), right after the store commit it names
   * and after the SMSYNC_CLIENT_CRASH_AT check. A hook that holds the engine
   * there pauses it (as SIGSTOP would); one that never returns kills this
   * engine's pass there, as SIGKILL would in a process of its own (the
   * simulator runs several clients in one process).
   */
  atPersistencePoint?: (name: ClientCrashPoint) => void | Promise<void>;
}

/** What an app (or a test) may tune of the engine's timing. */
export type EngineTuning = Pick<
  SyncEngineOptions,
  | "pollMs"
  | "subscribedPollMs"
  | "lockRetryMaxMs"
  | "lockWaitSeconds"
  | "backoff"
  | "transferRetryDelays"
  | "transferConcurrency"
  | "random"
  | "clock"
  | "atPersistencePoint"
>;
