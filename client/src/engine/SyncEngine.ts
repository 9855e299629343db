// The sync engine (docs/client-design.md, "The engine"): one sync pass at a
// time over one store, downloads before uploads, each step one store commit.
// This class keeps the engine's lifecycle (passes, suspension, close, the
// mode); the steps are modules over one EngineContext that it builds
// (docs/client-design.md, "The engine's parts"), and never import it.
//
// A pass:
//   0. resume what a previous pass (or process) left: an inbound transfer
//      in "beingDownloaded", an outbound batch whose commit was sent;
//   1. lock (through the outbox, key persisted in meta first); LOCK_HELD:
//      event `lockHeldElsewhere`, wait, lock again (not an error);
//   2. fileIndex + planDownloads; changes the server already has are dropped;
//      conflicts go to the app's resolveConflict (keep-local: adopt the
//      server's version under the local change; accept-remote: drop the local
//      change), then plan again;
//   3. download-deletions (the app's applyDeletions), then downloads:
//      beingDownloaded, startInboundTransfer (it releases the lock), follow
//      the operation, downloadFile to a staging path, the app's saveDownload,
//      one commit per file; then back to 1;
//   4. the oldest committed batch -> beingUploaded (target versions, fencing
//      token, the keys of its deleteFiles and commit), tus uploads (one commit
//      per file), deleteFiles, commit, follow to SUCCEEDED, one commit that
//      updates `files` and empties beingUploaded; then back to 1;
//   5. nothing left: unlock.
// While it works under a grant, the engine renews the lease (lease.ts).
//
// Engine state in "meta" (each written before the request it names is sent,
// so a relaunch repeats the same idempotency key):
//   engine.lockKey   the pending lock request's key
//   engine.inbound   InboundState, while beingDownloaded holds files
//   engine.outbound  OutboundState, while beingUploaded holds a batch
//   mode             the client's Mode
import { SmsyncClientError } from "../errors.ts";
import { isErrorMode, type Mode } from "../modes.ts";
import type { PreparedUpload } from "../queues/records.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import type { DownloadedFile, DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import { EngineContext } from "./EngineContext.ts";
import { ConflictsNotImplementedError, TransferFailedError } from "./engineErrors.ts";
import { asError, type RecoveryEvent, type SyncEventListener, type SyncEvents } from "./events.ts";
import { fetchFileIndex } from "./fileIndex.ts";
import { takeOrphanedFireAndForgetResults } from "./fireAndForgetResults.ts";
import type { Operation } from "./followOperation.ts";
import type { ConflictResolution, EngineCallbacks, EngineTuning, SyncEngineOptions } from "./options.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { LiveSync, type LiveOptions } from "./liveSync.ts";
import { localResetChanges, serverResetChanges, sweepUploadCopies } from "./reset.ts";
import { metaKeys, type BeingDownloaded, type BeingUploaded, type InboundState, type OutboundState } from "./state.ts";
import { runPass } from "./syncPass.ts";

// The types other modules have imported from here.
export { ConflictsNotImplementedError, TransferFailedError };
export type {
  BeingDownloaded,
  BeingUploaded,
  ConflictResolution,
  EngineCallbacks,
  EngineTuning,
  InboundState,
  OutboundState,
  RecoveryEvent,
  SyncEngineOptions,
  SyncEvents,
};
export type { Operation, DownloadedFile, DownloadedFileInfo, PreparedUpload };

/** The engine's lifecycle (passes, suspension, close) over one EngineContext; the passes' steps are the phase modules. */
/**
 * For a pass no call of the app's awaits (a retry after a backoff, a wake):
 * how it ended is already told, by the mode it left (modeChanged, with the
 * error of an error mode), or was the app's own doing (closed, an error mode
 * it did not reset).
 */
function toldByMode(): void {}

export class SyncEngine<D extends DownloadedFileInfo = DownloadedFile> {
  private readonly ctx: EngineContext<D>;
  private running: Promise<void> | null = null;
  private rerun = false;
  /** Cancels the retry a failed pass scheduled. */
  private cancelRetry: () => void = () => {};
  private unsubscribeOutbox: (() => void) | undefined;
  private suspended = false;
  private readonly liveSync: LiveSync<D>;

  private constructor(options: SyncEngineOptions<D>) {
    this.ctx = new EngineContext(options);
    this.liveSync = new LiveSync({
      ctx: this.ctx,
      startPass: () => void this.sync().catch(toldByMode),
      ...(options.webSocket ? { webSocket: options.webSocket } : {}),
    });
  }

  /** An engine over the store, with its persisted mode. */
  static async open<D extends DownloadedFileInfo>(options: SyncEngineOptions<D>): Promise<SyncEngine<D>> {
    const engine = new SyncEngine<D>(options);
    const { ctx } = engine;
    ctx.mode = (await options.store.get("meta", metaKeys.mode)) ?? "idle";
    // A pass cut by a relaunch left "synchronizing" or "networkNotConnected": it resumes on the next sync().
    if (ctx.mode === "synchronizing" || ctx.mode === "networkNotConnected" || ctx.mode === "resettingFromError") {
      ctx.mode = "idle";
    }
    const storeModeFailed = (error: unknown) =>
      ctx.emit("backgroundFailure", { during: "storeMode", error: asError(error) });
    engine.unsubscribeOutbox = options.outbox.on((event) => {
      if (event.type === "networkFailure" && engine.running) {
        ctx.networkDown = true;
        void ctx.setMode("networkNotConnected").catch(storeModeFailed);
      }
      if (event.type === "result" && engine.running) {
        ctx.networkRestored();
        if (ctx.mode === "networkNotConnected") void ctx.setMode("synchronizing").catch(storeModeFailed);
      }
    });
    await takeOrphanedFireAndForgetResults(options.outbox, (error) =>
      ctx.emit("backgroundFailure", { during: "takeLeftOverAnswer", error }),
    );
    return engine;
  }

  get mode(): Mode {
    return this.ctx.mode;
  }

  /** Copies the app's upload calls are making and queueing now (paths, or blob keys in a browser): not to be swept. */
  get copiesBeingQueued(): Set<string> {
    return this.ctx.copiesBeingQueued;
  }

  on<E extends keyof SyncEvents>(event: E, listener: SyncEventListener<E>): () => void {
    return this.ctx.events.on(event, listener);
  }

  setMode(mode: Mode, error?: Error): Promise<void> {
    return this.ctx.setMode(mode, error);
  }

  /**
   * Runs a sync pass (or joins the one running, and runs another after it).
   * Resolves when the queues are empty, or the pass ended in networkNotConnected
   * or on a full staging area (transferWaiting; a retry is scheduled); rejects in an error mode.
   */
  sync(): Promise<void> {
    if (this.ctx.closed) return Promise.reject(new SmsyncClientError("CLOSED", "the client is closed"));
    if (this.suspended) return Promise.resolve(); // resume() starts a pass
    if (isErrorMode(this.ctx.mode)) {
      return Promise.reject(
        new SmsyncClientError("ERROR_MODE", `the client is in ${this.ctx.mode}: call resetFromError first`),
      );
    }
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.cancelRetry();
    const run = (async () => {
      try {
        do {
          this.rerun = false;
          await runPass(this.ctx, (delayMs) => {
            this.cancelRetry = this.ctx.clock.setTimer(() => void this.sync().catch(toldByMode), delayMs, "passRetry");
          });
        } while (this.rerun && !this.ctx.closed);
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }

  /** Wakes a backoff wait (the app says the network is back). */
  wake(): void {
    this.ctx.wakeSleepers();
    if (this.ctx.mode === "networkNotConnected" && !this.running) void this.sync().catch(toldByMode);
  }

  /**
   * Stops the engine (the app goes to the background): transfers in flight
   * are aborted (their resume state is stored), waits end, and the pass
   * returns; nothing is lost, and resume() goes on from the stored state.
   */
  async suspend(): Promise<void> {
    this.suspended = true;
    this.cancelRetry();
    this.ctx.abort(new SmsyncClientError("SUSPENDED", "the client was suspended"));
    await this.running?.catch(toldByMode); // the pass ends; its outcome is its caller's
  }

  /** Starts again after suspend(): a pass runs from where the last one stopped. */
  resume(): Promise<void> {
    if (!this.suspended) return this.sync();
    this.suspended = false;
    this.ctx.renewSignal();
    return this.sync();
  }

  /** Live mode (liveSync.ts): passes follow other devices' commits and this device's own, without sync(). */
  startLive(options?: LiveOptions): Promise<void> {
    if (this.ctx.closed) return Promise.reject(new SmsyncClientError("CLOSED", "the client is closed"));
    return this.liveSync.start(options);
  }

  /** Leaves live mode: no more passes of its own; a pass in flight goes on. */
  stopLive(): void {
    this.liveSync.stop();
  }

  get live(): boolean {
    return this.liveSync.live;
  }

  /** The app committed a batch: in live mode, a pass takes it up. */
  localChangeCommitted(): void {
    this.liveSync.wake();
  }

  async close(): Promise<void> {
    this.liveSync.stop();
    this.ctx.closed = true;
    this.cancelRetry();
    this.ctx.abort(new SmsyncClientError("CLOSED", "the client is closed"));
    this.wake();
    this.unsubscribeOutbox?.();
    await this.running?.catch(toldByMode); // the pass ends; its outcome is its caller's
  }

  /** The store changes of a local reset (reset.ts). */
  localResetChanges(): Promise<StoreChange[]> {
    return localResetChanges(this.ctx.store);
  }

  /** The store changes after resetServerState (reset.ts). */
  serverResetChanges(): Promise<StoreChange[]> {
    return serverResetChanges(this.ctx.store);
  }

  /** Removes the client-owned copies of queued uploads no pending change refers to (reset.ts). */
  sweepUploadCopies(): Promise<void> {
    return sweepUploadCopies(this.ctx);
  }

  /** The server's file index (a query, not cached); also the public client's fileIndex(). */
  fileIndex(): Promise<IndexEntry[]> {
    return fetchFileIndex(this.ctx.client);
  }
}
