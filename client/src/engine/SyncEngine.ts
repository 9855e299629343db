// The sync engine (docs/client-design.md, "The engine"): one sync pass at a
// time over one store, downloads before uploads, each step one store commit.
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
// While it works under a grant, the engine renews the lease (startLease).
//
// Engine state in "meta" (each written before the request it names is sent,
// so a relaunch repeats the same idempotency key):
//   engine.lockKey   the pending lock request's key
//   engine.inbound   InboundState, while beingDownloaded holds files
//   engine.outbound  OutboundState, while beingUploaded holds a batch
//   mode             the client's Mode
import type { Client, TypedDocumentNode } from "@urql/core";
import { backoffDelayMs, type ErrorCode } from "@smsync/protocol";
import { isServerError, NetworkError, ServerError, SmsyncClientError, StagingFullError } from "../errors.ts";
import {
  commitMutation,
  deleteFilesMutation,
  fileIndexQuery,
  lockMutation,
  renewLockMutation,
  serverInfoQuery,
  startInboundTransferMutation,
  unlockMutation,
} from "../graphql/operations.ts";
import type { Outbox, OutboxResult } from "../graphql/outbox/index.ts";
import { queryData } from "../graphql/queryData.ts";
import { isErrorMode, type Mode } from "../modes.ts";
import { heldFile, type CommittedBatch, type LocalFile, type PreparedChange, type PreparedUpload } from "../queues/records.ts";
import { sequenceKey, type ClientStore, type StoreChange } from "../store/ClientStore.ts";
import type { DownloadedFile, DownloadedFileInfo, EnginePlatform } from "../platform/EnginePlatform.ts";
import { forgetUploadChange, forgetUploadsChanges } from "../transfers/tusResumeStore.ts";
import { uploadFile } from "../transfers/uploader.ts";
import { BatchProgress, type BatchProgressEvent } from "./batchProgress.ts";
import { clientCrashPoint, type ClientCrashPoint } from "./crashPoints.ts";
import { forEachConcurrently } from "./forEachConcurrently.ts";
import { fetchOperation, followOperation, type Operation, type ServerTransferEvent } from "./followOperation.ts";
import { planDownloads, type Conflict, type IndexEntry } from "./planDownloads.ts";
import type { TransferWaitingEvent } from "./transferWaits.ts";
import { ConflictsNotImplementedError, nonRecoverableCodes, signInRequired, StagedUploadGoneError, TransferFailedError } from "./engineErrors.ts";
import { SyncEventEmitter, type RecoveryEvent, type SyncEventListener, type SyncEvents } from "./events.ts";
import type { ConflictResolution, EngineCallbacks, EngineTuning, SyncEngineOptions } from "./options.ts";
import { metaKeys, type BeingDownloaded, type BeingUploaded, type InboundState, type OutboundState } from "./state.ts";

// The types other modules have imported from here.
export { ConflictsNotImplementedError, TransferFailedError };
export type { BeingDownloaded, BeingUploaded, ConflictResolution, EngineCallbacks, EngineTuning, InboundState, OutboundState, RecoveryEvent, SyncEngineOptions, SyncEvents };
export type { Operation, DownloadedFile, DownloadedFileInfo };

// The Web Crypto API, in Node and browsers alike (the engine runs in both).
const randomUUID = () => globalThis.crypto.randomUUID();

/** A pass that loses its lock more often than this gives up (nonRecoverableError, as STALE_FENCING_TOKEN). */
const maxLockLossesPerPass = 3;

/** Commits sent again to resume a FAILED outbound transfer before the engine gives up (nonRecoverableError until resetFromError). */
const maxTransferResumes = 2;

export class SyncEngine<D extends DownloadedFileInfo = DownloadedFile> {
  private modeValue: Mode = "idle";
  private readonly events = new SyncEventEmitter();
  private running: Promise<void> | null = null;
  private rerun = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Passes that failed on the network since the server last answered: they set the backoff. */
  private networkFailures = 0;
  /** A pass or an outbox request failed on the network, and the server has not answered since. */
  private networkDown = false;
  private tusEndpoint: string | undefined;
  private readonly pollMs: number;
  private readonly subscribedPollMs: number;
  private readonly transferConcurrency: number;
  private readonly lockRetryMaxMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly random: () => number;
  private readonly wakers = new Set<() => void>();
  private unsubscribeOutbox: (() => void) | undefined;
  /** Copies the app's upload calls are making and queueing now (paths, or blob keys in a browser): not to be swept. */
  readonly copiesBeingQueued = new Set<string>();
  /** Aborted by suspend() and close(): transfers, outbox waits, polling and sleeps end with it. */
  private stop = new AbortController();
  private suspended = false;
  private lease: { fencingToken: number; timer: ReturnType<typeof setTimeout> | undefined; stopped: boolean } | undefined;

  private constructor(private readonly options: SyncEngineOptions<D>) {
    this.pollMs = options.pollMs ?? 1000;
    this.subscribedPollMs = options.subscribedPollMs ?? 10_000;
    this.transferConcurrency = options.transferConcurrency ?? 4;
    this.lockRetryMaxMs = options.lockRetryMaxMs ?? 5000;
    this.backoffInitialMs = options.backoff?.initialMs ?? 500;
    this.backoffMaxMs = options.backoff?.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  /** An engine over the store, with its persisted mode. */
  static async open<D extends DownloadedFileInfo>(options: SyncEngineOptions<D>): Promise<SyncEngine<D>> {
    const engine = new SyncEngine<D>(options);
    engine.modeValue = (await options.store.get("meta", metaKeys.mode)) ?? "idle";
    // A pass cut by a relaunch left "synchronizing" or "networkNotConnected": it resumes on the next sync().
    if (engine.modeValue === "synchronizing" || engine.modeValue === "networkNotConnected" || engine.modeValue === "resettingFromError") {
      engine.modeValue = "idle";
    }
    engine.unsubscribeOutbox = options.outbox.on((event) => {
      if (event.type === "networkFailure" && engine.running) {
        engine.networkDown = true;
        void engine.setMode("networkNotConnected").catch(() => undefined);
      }
      if (event.type === "result" && engine.running) {
        engine.networkRestored();
        if (engine.modeValue === "networkNotConnected") void engine.setMode("synchronizing").catch(() => undefined);
      }
    });
    await engine.takeOrphanedFireAndForgetResults();
    return engine;
  }

  get mode(): Mode {
    return this.modeValue;
  }

  on<E extends keyof SyncEvents>(event: E, listener: SyncEventListener<E>): () => void {
    return this.events.on(event, listener);
  }

  private emit<E extends keyof SyncEvents>(event: E, payload: SyncEvents[E]): void {
    this.events.emit(event, payload);
  }

  async setMode(mode: Mode, error?: Error): Promise<void> {
    if (mode === this.modeValue) return;
    const previous = this.modeValue;
    this.modeValue = mode;
    await this.options.store.commit([{ op: "put", collection: "meta", key: metaKeys.mode, value: mode }]);
    this.emit("modeChanged", { mode, previous, ...(error ? { error } : {}) });
  }

  /**
   * Runs a sync pass (or joins the one running, and runs another after it).
   * Resolves when the queues are empty, or the pass ended in networkNotConnected
   * or on a full staging area (transferWaiting; a retry is scheduled); rejects in an error mode.
   */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new SmsyncClientError("CLOSED", "the client is closed"));
    if (this.suspended) return Promise.resolve(); // resume() starts a pass
    if (isErrorMode(this.modeValue)) {
      return Promise.reject(new SmsyncClientError("ERROR_MODE", `the client is in ${this.modeValue}: call resetFromError first`));
    }
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    clearTimeout(this.retryTimer);
    const run = (async () => {
      try {
        do {
          this.rerun = false;
          await this.pass();
        } while (this.rerun && !this.closed);
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }

  /** Wakes a backoff wait (the app says the network is back). */
  wake(): void {
    for (const wake of [...this.wakers]) wake();
    if (this.modeValue === "networkNotConnected" && !this.running) void this.sync().catch(() => undefined);
  }

  /**
   * Stops the engine (the app goes to the background): transfers in flight
   * are aborted (their resume state is stored), waits end, and the pass
   * returns; nothing is lost, and resume() goes on from the stored state.
   */
  async suspend(): Promise<void> {
    this.suspended = true;
    clearTimeout(this.retryTimer);
    this.stop.abort(new SmsyncClientError("SUSPENDED", "the client was suspended"));
    for (const wake of [...this.wakers]) wake();
    await this.running?.catch(() => undefined);
  }

  /** Starts again after suspend(): a pass runs from where the last one stopped. */
  resume(): Promise<void> {
    if (!this.suspended) return this.sync();
    this.suspended = false;
    this.stop = new AbortController();
    return this.sync();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stop.abort(new SmsyncClientError("CLOSED", "the client is closed"));
    this.wake();
    this.unsubscribeOutbox?.();
    await this.running?.catch(() => undefined);
  }

  /**
   * The state a reset clears (local): queues being worked on and the engine's
   * meta. A file whose dropped change the app had kept over the server's
   * version ("keep-local") gets back the record it had before: the device did
   * not take the server's version in, and a change of it queued again is a
   * conflict the app is asked about again.
   */
  async localResetChanges(): Promise<StoreChange[]> {
    const restored: StoreChange[] = [];
    for (const { key, value } of await this.options.store.list("files")) {
      if (value.heldBeforeKeepLocal === undefined) continue;
      restored.push(value.heldBeforeKeepLocal === null ? { op: "delete", collection: "files", key } : { op: "put", collection: "files", key, value: value.heldBeforeKeepLocal });
    }
    return [
      ...restored,
      { op: "clear", collection: "uploadsBeingPrepared" },
      { op: "clear", collection: "committedUploads" },
      { op: "clear", collection: "beingUploaded" },
      { op: "clear", collection: "beingDownloaded" },
      { op: "clear", collection: "tusUploads" },
      { op: "delete", collection: "meta", key: metaKeys.lockKey },
      { op: "delete", collection: "meta", key: metaKeys.inbound },
      { op: "delete", collection: "meta", key: metaKeys.outbound },
    ];
  }

  /**
   * After resetServerState gave up the device's staged batch and lock: the
   * batch being uploaded (if any) is redone under the next grant.
   */
  async serverResetChanges(): Promise<StoreChange[]> {
    const state = await this.options.store.get("meta", metaKeys.outbound);
    if (!state) return [];
    return [{ op: "put", collection: "meta", key: metaKeys.outbound, value: { ...state, commitSent: false, operationId: null, fencingToken: -1 } satisfies OutboundState }];
  }

  /**
   * Removes the client-owned copies of queued uploads that no pending
   * change refers to any more (uploaded, dropped by a conflict or a reset,
   * or replaced by a newer upload of the file before commit).
   */
  async sweepUploadCopies(): Promise<void> {
    const referenced: PreparedUpload["source"][] = [];
    for (const change of (await this.pendingChanges()).values()) {
      if (change.kind === "upload" && !change.immutable) referenced.push(change.source);
    }
    // Every change of every batch, not only the newest per file.
    for (const { value } of await this.options.store.list("committedUploads")) {
      for (const change of value.changes) if (change.kind === "upload") referenced.push(change.source);
    }
    await this.options.platform.sweepUploadCopies(referenced, this.copiesBeingQueued);
  }

  // The pass

  private async pass(): Promise<void> {
    await this.setMode("synchronizing");
    try {
      await this.dropFireAndForgetResults();
      await this.reportLeftOverWork();
      for (let lockLosses = 0; ; ) {
        try {
          await this.work();
          break;
        } catch (error) {
          // The lock was lost (taken over, or released by a reset): lock again, re-read the index, redo the batch under the new grant.
          const lost =
            error instanceof StagedUploadGoneError ||
            isServerError(error, "STALE_FENCING_TOKEN", "LOCK_REQUIRED", "UPLOAD_INCOMPLETE");
          if (!lost || ++lockLosses > maxLockLossesPerPass || this.closed) throw error;
          this.stopLease();
        }
      }
      this.networkRestored();
      this.networkFailures = 0;
      await this.sweepUploadCopies();
      await this.setMode("idle");
    } catch (error) {
      await this.failed(error);
    } finally {
      this.stopLease();
    }
  }

  /** Tells the app what this pass takes over from an earlier one (cut by the network, a suspension, a crash or a relaunch). */
  private async reportLeftOverWork(): Promise<void> {
    const { store } = this.options;
    const [inbound, outbound] = await Promise.all([store.get("meta", metaKeys.inbound), store.get("meta", metaKeys.outbound)]);
    if (inbound) this.emit("recovery", { kind: "resumedDownloads", files: (await store.list("beingDownloaded")).length, operationId: inbound.operationId });
    if (outbound) this.emit("recovery", { kind: "resumedBatch", batch: outbound.batch, stage: outbound.commitSent ? "committing" : "uploading", operationId: outbound.operationId });
  }

  /** The server answered (a pass finished, or the outbox got a result): after network failures, the network is back. */
  private networkRestored(): void {
    if (this.networkDown) this.emit("recovery", { kind: "networkRestored", failedPasses: this.networkFailures });
    this.networkDown = false;
    // The passes' backoff restarts only when a pass finishes: a server that answers the lock but never the index must not be retried at the initial delay forever.
  }

  private async work(): Promise<void> {
    {
      await this.resumeInbound();
      await this.resumeSentCommit();
      for (;;) {
        if (this.closed) return;
        this.stop.signal.throwIfAborted();
        const fencingToken = await this.lock();
        if (fencingToken === null) return; // closed while waiting
        const index = await this.fileIndex();
        const { store } = this.options;
        const [files, pending] = await Promise.all([this.localFiles(), this.pendingChanges()]);
        const plan = planDownloads(index, files, pending);
        if (plan.alreadyApplied.length) {
          // The server has what is pending here: adopt its entry, drop the pending change, and confirm a committed one
          // to the app (a batch the server applied in part before its transfer failed, then redone after a reset).
          const confirmed = await this.alreadyAppliedConfirmations(plan.alreadyApplied);
          await store.commit([
            ...plan.alreadyApplied.map((entry) => putFile(entry)),
            ...(await this.dropPendingChanges(new Set(plan.alreadyApplied.map((entry) => entry.fileUUID)))),
          ]);
          for (const event of confirmed.changes) this.emit("singleUploadComplete", event);
          for (const batch of confirmed.batches) this.emit("allUploadsComplete", { batch, operationId: null });
        }
        if (plan.conflicts.length) {
          await this.resolveConflicts(plan.conflicts);
          continue; // plan again (locking again as the holder keeps the grant)
        }
        if (plan.deletions.length) {
          await this.options.callbacks.applyDeletions(plan.deletions);
          await store.commit(plan.deletions.map((entry) => putFile(entry)));
          await this.persistencePoint("deletions.applied");
          this.emit("deletionsApplied", { fileUUIDs: plan.deletions.map((entry) => entry.fileUUID) });
        }
        if (plan.downloads.length) {
          await this.startDownloads(fencingToken, plan.downloads);
          await this.resumeInbound();
          continue; // the inbound transfer released the lock
        }
        if (await this.uploadNextBatch(fencingToken, index)) continue; // the outbound transfer released the lock
        await this.unlock(fencingToken);
        break;
      }
    }
  }

  private async failed(error: unknown): Promise<void> {
    if (this.closed) return;
    if (this.stop.signal.aborted) {
      // Suspended: not a failure; the stored state is where resume() goes on.
      await this.setMode("idle");
      return;
    }
    if (error instanceof StagingFullError) {
      // The server has no room for this device's upload: its bytes so far are kept; a later pass resumes it.
      this.emit("transferWaiting", { direction: "upload", code: "STAGING_FULL", operationId: null, message: error.message });
      await this.setMode("idle");
      this.retryTimer = setTimeout(() => void this.sync().catch(() => undefined), this.backoffMaxMs);
      return;
    }
    if (error instanceof NetworkError) {
      this.networkFailures += 1;
      this.networkDown = true;
      const delay = backoffDelayMs(this.networkFailures, { baseMs: this.backoffInitialMs, capMs: this.backoffMaxMs }, this.random);
      await this.setMode("networkNotConnected", error);
      this.retryTimer = setTimeout(() => void this.sync().catch(() => undefined), delay);
      return;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const code = error instanceof SmsyncClientError ? error.code : undefined;
    const mode: Mode = code !== undefined && nonRecoverableCodes.has(code) ? "nonRecoverableError" : "internalError";
    await this.setMode(mode, err).catch(() => undefined);
    throw err;
  }

  // Step 1: the lock

  /** The fencing token of a grant (null if closed while waiting for another device). */
  private async lock(): Promise<number | null> {
    const { store, outbox } = this.options;
    for (;;) {
      if (this.closed) return null;
      this.stop.signal.throwIfAborted();
      let key = await store.get("meta", metaKeys.lockKey);
      if (!key) {
        key = randomUUID();
        await store.commit([{ op: "put", collection: "meta", key: metaKeys.lockKey, value: key }]);
        await this.persistencePoint("lock.keyStored");
      }
      const result = await this.send(lockMutation, { idempotencyKey: key });
      await store.commit([{ op: "delete", collection: "meta", key: metaKeys.lockKey }, outbox.resultRemoval(key)]);
      if (isServerError(result.error, "LOCK_HELD")) {
        const retryAfterSeconds = Number(result.error.details.retryAfterSeconds ?? 1);
        const retryInMs = Math.max(50, Math.min(this.lockRetryMaxMs, retryAfterSeconds * 1000));
        this.emit("lockHeldElsewhere", { retryInMs });
        await this.sleep(retryInMs);
        continue;
      }
      if (result.error) throw result.error;
      await this.persistencePoint("lock.granted");
      const grant = result.data!.lock;
      this.startLease(grant.fencingToken, grant.expiresAt);
      return grant.fencingToken;
    }
  }

  /** Results of renewLock and unlock that a relaunch left behind (nobody waits for them any more). */
  private async dropFireAndForgetResults(): Promise<void> {
    const { store, outbox } = this.options;
    const stale = (await store.list("outboxResults")).filter(({ value }) => isFireAndForget(value.operationName));
    if (stale.length) await store.commit(stale.map(({ key }) => outbox.resultRemoval(key)));
  }

  /**
   * RenewLock and Unlock requests an earlier process left pending (a kill or a
   * close cut them in flight): this outbox sends them, but their sender is
   * gone, so the engine takes each answer as it arrives (a pass that started
   * before it arrived would leave it stored at rest).
   */
  private async takeOrphanedFireAndForgetResults(): Promise<void> {
    const { outbox } = this.options;
    for (const { idempotencyKey, operationName } of await outbox.pending()) {
      if (!isFireAndForget(operationName)) continue;
      // A closed or cleared outbox rejects the wait: the entry stays stored for the next one, or is gone.
      void outbox
        .result(idempotencyKey)
        .then(() => outbox.takeResult(idempotencyKey))
        .catch(() => undefined);
    }
  }

  /**
   * Renews the lease while the engine works under the grant (at half the time
   * left), until a transfer takes the lock over (startInboundTransfer, commit),
   * the engine unlocks, or the pass ends. A refused renewal stops renewing:
   * the next write under the grant meets the server's verdict.
   */
  private startLease(fencingToken: number, expiresAt: string): void {
    this.stopLease();
    const lease = { fencingToken, timer: undefined as ReturnType<typeof setTimeout> | undefined, stopped: false };
    const schedule = (until: string) => {
      const delay = Math.max(100, (Date.parse(until) - Date.now()) / 2);
      lease.timer = setTimeout(() => void renew(), delay);
    };
    const renew = async () => {
      if (lease.stopped || this.closed) return;
      const key = randomUUID();
      try {
        const result = await this.send(renewLockMutation, { idempotencyKey: key, fencingToken });
        await this.options.outbox.takeResult(key);
        if (lease.stopped || result.error || !result.data) return;
        schedule(result.data.renewLock.expiresAt);
      } catch {
        // The outbox closed (the client is closing): nothing to renew.
      }
    };
    this.lease = lease;
    schedule(expiresAt);
  }

  private stopLease(): void {
    if (!this.lease) return;
    this.lease.stopped = true;
    clearTimeout(this.lease.timer);
    this.lease = undefined;
  }

  private async unlock(fencingToken: number): Promise<void> {
    this.stopLease();
    const key = randomUUID();
    await this.send(unlockMutation, { idempotencyKey: key, fencingToken });
    await this.options.outbox.takeResult(key);
  }

  // Step 2: the index

  /** The server's file index (a query, not cached); also the public client's fileIndex(). */
  async fileIndex(): Promise<IndexEntry[]> {
    const result = await this.options.client.query(fileIndexQuery, {}).toPromise();
    return queryData(result, "fileIndex").fileIndex.files.map(({ updatedAt: _updatedAt, ...entry }) => entry);
  }

  private async localFiles(): Promise<Map<string, LocalFile>> {
    return new Map((await this.options.store.list("files")).map(({ key, value }) => [key, value]));
  }

  /** Every local change not confirmed by the server, the newest per file. */
  private async pendingChanges(): Promise<Map<string, PreparedChange>> {
    const { store } = this.options;
    const pending = new Map<string, PreparedChange>();
    for (const { value } of await store.list("beingUploaded")) pending.set(value.change.fileUUID, value.change);
    for (const { value } of await store.list("committedUploads")) {
      for (const change of value.changes) pending.set(change.fileUUID, change);
    }
    for (const { value } of await store.list("uploadsBeingPrepared")) pending.set(value.fileUUID, value);
    return pending;
  }

  // Step 3: downloads

  private async startDownloads(fencingToken: number, downloads: IndexEntry[]): Promise<void> {
    const state: InboundState = {
      idempotencyKey: randomUUID(),
      fencingToken,
      files: downloads.map((entry) => ({ fileUUID: entry.fileUUID, version: entry.version })),
      operationId: null,
    };
    await this.options.store.commit([
      ...downloads.map((entry): StoreChange => ({ op: "put", collection: "beingDownloaded", key: entry.fileUUID, value: { entry } satisfies BeingDownloaded })),
      { op: "put", collection: "meta", key: metaKeys.inbound, value: state },
    ]);
    await this.persistencePoint("download.planned");
  }

  /** Runs the inbound transfer in meta (if any) to its end: every file delivered and acknowledged. */
  private async resumeInbound(): Promise<void> {
    const { store, outbox, callbacks } = this.options;
    const state = await store.get("meta", metaKeys.inbound);
    if (!state) return;
    if (state.operationId === null) {
      this.stopLease(); // the inbound transfer holds the lock from now on
      const result = await this.send(startInboundTransferMutation, {
        idempotencyKey: state.idempotencyKey,
        fencingToken: state.fencingToken,
        files: state.files,
      });
      if (result.error) {
        // Nothing was staged: forget the plan (the files are planned again from the index).
        await store.commit([{ op: "clear", collection: "beingDownloaded" }, { op: "delete", collection: "meta", key: metaKeys.inbound }, outbox.resultRemoval(state.idempotencyKey)]);
        throw result.error;
      }
      state.operationId = result.data!.startInboundTransfer.id;
      await store.commit([{ op: "put", collection: "meta", key: metaKeys.inbound, value: state }, outbox.resultRemoval(state.idempotencyKey)]);
      await this.persistencePoint("download.started");
    }
    const operation = await this.follow(state.operationId, "download");
    if (operation.state !== "SUCCEEDED") {
      await store.commit([{ op: "clear", collection: "beingDownloaded" }, { op: "delete", collection: "meta", key: metaKeys.inbound }]);
      throw new TransferFailedError(operation);
    }
    let count = 0;
    const toDeliver = await store.list("beingDownloaded");
    const progress = new BatchProgress(
      { direction: "download", batch: null, operationId: operation.id },
      toDeliver.map(({ value }) => ({ fileUUID: value.entry.fileUUID, size: value.entry.size, done: false })),
      (event) => this.emit("batchProgress", event),
    );
    for (const { value } of toDeliver) {
      const { entry } = value;
      const staged = operation.files.find((file) => file.fileUUID === entry.fileUUID && file.version === entry.version);
      if (!staged?.downloadUrl) throw new SmsyncClientError("INTERNAL", `operation ${operation.id} has no download of ${entry.fileUUID} version ${entry.version}`);
      let downloaded: D;
      try {
        downloaded = await this.options.platform.stageDownload(
          {
            signal: this.stop.signal,
            onProgress: (bytesDone, bytesTotal) => {
              this.emit("transferProgress", { direction: "download", fileUUID: entry.fileUUID, version: entry.version, bytesDone, bytesTotal });
              progress.fileProgress(entry.fileUUID, bytesDone);
            },
            url: staged.downloadUrl,
            token: this.options.token,
            expectedSha256: entry.sha256,
            ...(this.options.transferRetryDelays ? { retryDelays: this.options.transferRetryDelays } : {}),
          },
          {
            fileUUID: entry.fileUUID,
            version: entry.version,
            cloudFileName: entry.cloudFileName,
            mimeType: entry.mimeType,
            appMetaData: entry.appMetaData,
            sha256: entry.sha256,
          },
        );
      } catch (error) {
        if (!(error instanceof ServerError && error.details.status === 404)) throw error;
        // The staged copy expired (SMSYNC_INBOUND_EXPIRY_SECONDS) or was given up: forget the rest of this transfer;
        // the next plan asks for what is still missing (what was acknowledged is not asked for again).
        await this.options.platform.discardDownload(entry.fileUUID, entry.version);
        await store.commit([{ op: "clear", collection: "beingDownloaded" }, { op: "delete", collection: "meta", key: metaKeys.inbound }]);
        return;
      }
      if ((await this.pendingChanges()).has(entry.fileUUID)) {
        // The app changed or deleted the file after this download was planned (the plan saw no pending change): handing
        // it over would undo the app's change. Not delivered and not taken as known, so the next plan sees the server's
        // version against the app's change, a conflict for resolveConflict.
        await store.commit([{ op: "delete", collection: "beingDownloaded", key: entry.fileUUID }]);
        await this.options.platform.discardDownload(entry.fileUUID, entry.version);
        progress.fileDone(entry.fileUUID);
        continue;
      }
      await callbacks.saveDownload(downloaded);
      await store.commit([{ op: "delete", collection: "beingDownloaded", key: entry.fileUUID }, putFile(entry)]);
      await this.persistencePoint("download.fileAcknowledged");
      await this.options.platform.discardDownload(entry.fileUUID, entry.version);
      count += 1;
      progress.fileDone(entry.fileUUID);
      this.emit("singleDownloadComplete", { fileUUID: entry.fileUUID, version: entry.version });
    }
    await store.commit([{ op: "delete", collection: "meta", key: metaKeys.inbound }]);
    await this.persistencePoint("download.finished");
    this.emit("downloadsFinished", { count });
  }

  // Step 4: uploads

  /** Uploads the batch in beingUploaded, or the oldest committed one; false if there is none. */
  private async uploadNextBatch(fencingToken: number, index: IndexEntry[]): Promise<boolean> {
    const { store } = this.options;
    let state = await store.get("meta", metaKeys.outbound);
    if (state && state.fencingToken !== fencingToken) {
      // A later grant: the server dropped what was staged under the old one. Redo the batch under this one.
      state = await this.retarget(state, fencingToken, index);
    }
    if (!state) {
      const [oldest] = await store.list("committedUploads");
      if (!oldest) return false;
      state = await this.beginBatch(oldest.value, fencingToken, index);
    }
    await this.runBatch(state);
    return true;
  }

  /** What each change targets on the server now: the version it makes or deletes, and whether it undeletes. */
  private targets(changes: PreparedChange[], index: IndexEntry[]): Map<string, { version: number; undelete: boolean }> {
    const byUUID = new Map(index.map((entry) => [entry.fileUUID, entry]));
    return new Map(
      changes.map((change) => {
        const entry = byUUID.get(change.fileUUID);
        if (change.kind === "delete") return [change.fileUUID, { version: entry?.version ?? 0, undelete: false }];
        return [change.fileUUID, { version: entry ? entry.version + 1 : 0, undelete: entry?.deleted ?? false }];
      }),
    );
  }

  private async resolveConflicts(conflicts: Conflict[]): Promise<void> {
    const resolver = this.options.callbacks.resolveConflict;
    if (!resolver) throw new ConflictsNotImplementedError(conflicts.map((conflict) => conflict.fileUUID));
    const keep: Conflict[] = [];
    const accept = new Set<string>();
    for (const conflict of conflicts) {
      const resolution = await resolver(conflict);
      if (resolution === "keep-local") keep.push(conflict);
      else if (resolution === "accept-remote") accept.add(conflict.fileUUID);
      else throw new SmsyncClientError("BAD_RESOLUTION", `resolveConflict answered ${JSON.stringify(resolution)} for ${conflict.fileUUID}`);
    }
    // keep-local: this device now knows the server's version, so its change goes on top of it (and no conflict is seen again);
    // accept-remote: the change is dropped, and the next plan downloads the server's version or applies its deletion.
    const files = await this.localFiles();
    await this.options.store.commit([...keep.map((conflict) => keptLocalOver(conflict.remote, files.get(conflict.fileUUID))), ...(await this.dropPendingChanges(accept))]);
  }

  /**
   * The confirmations owed for committed changes the server already has: the
   * newest change of each file, when it is in a committed batch (one still
   * being prepared was never committed), at the index's version; and the
   * batches that no change is left in once they are dropped.
   */
  private async alreadyAppliedConfirmations(entries: IndexEntry[]): Promise<{ changes: SyncEvents["singleUploadComplete"][]; batches: number[] }> {
    const { store } = this.options;
    const applied = new Map(entries.map((entry) => [entry.fileUUID, entry]));
    const outbound = await store.get("meta", metaKeys.outbound);
    const batches: { batch: number; changes: PreparedChange[] }[] = (await store.list("committedUploads")).map(({ value }) => value);
    if (outbound && !outbound.commitSent) {
      batches.unshift({ batch: outbound.batch, changes: (await store.list("beingUploaded")).map(({ value }) => value.change) });
    }
    const newest = new Map<string, { batch: number | null; kind: PreparedChange["kind"] }>();
    for (const { batch, changes } of batches) for (const change of changes) newest.set(change.fileUUID, { batch, kind: change.kind });
    for (const { value } of await store.list("uploadsBeingPrepared")) newest.set(value.fileUUID, { batch: null, kind: value.kind });
    const changes: SyncEvents["singleUploadComplete"][] = [];
    for (const [fileUUID, change] of newest) {
      const entry = applied.get(fileUUID);
      if (entry && change.batch !== null) changes.push({ fileUUID, version: entry.version, kind: change.kind, batch: change.batch, alreadyOnServer: true });
    }
    const emptied = batches.filter(({ changes: all }) => all.length > 0 && all.every((change) => applied.has(change.fileUUID))).map(({ batch }) => batch);
    return { changes, batches: emptied };
  }

  /** The changes that drop every pending change of these files: prepared, in committed batches, or in a batch not yet committed to the server. */
  private async dropPendingChanges(fileUUIDs: Set<string>): Promise<StoreChange[]> {
    if (fileUUIDs.size === 0) return [];
    const { store } = this.options;
    const changes: StoreChange[] = [];
    for (const { key, value } of await store.list("uploadsBeingPrepared")) {
      if (fileUUIDs.has(value.fileUUID)) changes.push({ op: "delete", collection: "uploadsBeingPrepared", key });
    }
    for (const { key, value } of await store.list("committedUploads")) {
      const kept = value.changes.filter((change) => !fileUUIDs.has(change.fileUUID));
      if (kept.length === value.changes.length) continue;
      changes.push(kept.length ? { op: "put", collection: "committedUploads", key, value: { ...value, changes: kept } } : { op: "delete", collection: "committedUploads", key });
    }
    const outbound = await store.get("meta", metaKeys.outbound);
    if (outbound && !outbound.commitSent) {
      const entries = await store.list("beingUploaded");
      const dropped = entries.filter(({ value }) => fileUUIDs.has(value.change.fileUUID));
      for (const { key } of dropped) changes.push({ op: "delete", collection: "beingUploaded", key });
      if (dropped.length && dropped.length === entries.length) changes.push({ op: "delete", collection: "meta", key: metaKeys.outbound });
    }
    return changes;
  }

  private async beginBatch(batch: CommittedBatch, fencingToken: number, index: IndexEntry[]): Promise<OutboundState> {
    const targets = this.targets(batch.changes, index);
    const state: OutboundState = {
      batch: batch.batch,
      committedAt: batch.committedAt,
      fencingToken,
      deleteKey: randomUUID(),
      deletionsRecorded: false,
      commitKey: randomUUID(),
      commitSent: false,
      operationId: null,
      resumes: 0,
    };
    await this.options.store.commit([
      { op: "delete", collection: "committedUploads", key: sequenceKey(batch.batch) },
      { op: "clear", collection: "beingUploaded" },
      ...batch.changes.map((change): StoreChange => ({
        op: "put",
        collection: "beingUploaded",
        key: change.fileUUID,
        value: { change, ...targets.get(change.fileUUID)!, done: false } satisfies BeingUploaded,
      })),
      { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
    ]);
    await this.persistencePoint("upload.batchBegun");
    return state;
  }

  private async retarget(old: OutboundState, fencingToken: number, index: IndexEntry[]): Promise<OutboundState> {
    const { store } = this.options;
    const entries = await store.list("beingUploaded");
    const targets = this.targets(entries.map((entry) => entry.value.change), index);
    const state: OutboundState = { ...old, fencingToken, deleteKey: randomUUID(), deletionsRecorded: false, commitKey: randomUUID(), commitSent: false, operationId: null, resumes: 0 };
    await store.commit([
      ...(await forgetUploadsChanges(store, (entry) => entry.fencingToken === old.fencingToken)),
      ...entries.map(({ key, value }): StoreChange => ({
        op: "put",
        collection: "beingUploaded",
        key,
        value: { change: value.change, ...targets.get(value.change.fileUUID)!, done: false } satisfies BeingUploaded,
      })),
      { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
    ]);
    return state;
  }

  private async runBatch(state: OutboundState): Promise<void> {
    const { store, outbox } = this.options;
    const entries = (await store.list("beingUploaded")).map((entry) => entry.value);
    if (!state.commitSent) {
      const endpoint = await this.tusEndpointUrl();
      const progress = new BatchProgress(
        { direction: "upload", batch: state.batch, operationId: null },
        entries.flatMap((item) => (item.change.kind === "upload" ? [{ fileUUID: item.change.fileUUID, size: item.change.size, done: item.done }] : [])),
        (event) => this.emit("batchProgress", event),
      );
      const toUpload = entries.filter((item) => !item.done && item.change.kind === "upload");
      await forEachConcurrently(toUpload, this.transferConcurrency, this.stop.signal, async (item, signal) => {
        const upload = item.change as PreparedUpload;
        const identity = { fileUUID: upload.fileUUID, version: item.version, sha256: upload.sha256, fencingToken: state.fencingToken };
        await uploadFile({
          signal,
          onProgress: (bytesDone, bytesTotal) => {
            this.emit("transferProgress", { direction: "upload", fileUUID: upload.fileUUID, version: item.version, bytesDone, bytesTotal });
            progress.fileProgress(upload.fileUUID, bytesDone);
          },
          endpoint,
          token: this.options.token,
          store,
          file: await this.options.platform.uploadContent(upload.source),
          metadata: {
            ...identity,
            cloudFileName: upload.cloudFileName,
            mimeType: upload.mimeType,
            appMetaData: upload.appMetaData,
            ...(item.undelete ? { undelete: true } : {}),
          },
          keepResumeState: true,
          ...(this.options.transferRetryDelays ? { retryDelays: this.options.transferRetryDelays } : {}),
        }).catch((error: unknown) => {
          throw isServerError(error, "NOT_FOUND") ? new StagedUploadGoneError(error) : error;
        });
        item.done = true;
        await store.commit([{ op: "put", collection: "beingUploaded", key: upload.fileUUID, value: item }, forgetUploadChange(identity)]);
        await this.persistencePoint("upload.fileDone");
        progress.fileDone(upload.fileUUID);
      });
      const deletions = entries.filter((item) => item.change.kind === "delete");
      if (deletions.length && !state.deletionsRecorded) {
        const result = await this.send(deleteFilesMutation, {
          idempotencyKey: state.deleteKey,
          fencingToken: state.fencingToken,
          files: deletions.map((item) => ({ fileUUID: item.change.fileUUID, version: item.version })),
        });
        if (result.error) {
          await store.commit([outbox.resultRemoval(state.deleteKey)]); // the server stored nothing: the same key may be sent again
          throw result.error;
        }
        state.deletionsRecorded = true;
        await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }, outbox.resultRemoval(state.deleteKey)]);
        await this.persistencePoint("upload.deletionsRecorded");
      }
      state.commitSent = true;
      await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }]);
      await this.persistencePoint("upload.commitSent");
    }
    await this.finishSentCommit(state);
  }

  /** After a relaunch: a batch whose commit was sent is followed to its end before anything else (it needs no lock). */
  private async resumeSentCommit(): Promise<void> {
    const state = await this.options.store.get("meta", metaKeys.outbound);
    if (state?.commitSent) await this.finishSentCommit(state);
  }

  private async finishSentCommit(state: OutboundState): Promise<void> {
    const { store } = this.options;
    for (;;) {
      if (await this.commitAndFollow(state)) return;
      // The transfer FAILED; the device keeps the lock under a fresh lease. A commit under the same grant (a new key) resumes it.
      const resumes = state.resumes + 1;
      const failed = (await this.operation(state.operationId!))!;
      if (resumes > maxTransferResumes || signInRequired(failed)) throw new TransferFailedError(failed);
      Object.assign(state, { resumes, commitKey: randomUUID(), operationId: null });
      await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }]);
    }
  }

  /** Sends the batch's commit (if not yet accepted) and follows the operation: true when it SUCCEEDED and the batch is finished, false when it FAILED. */
  private async commitAndFollow(state: OutboundState): Promise<boolean> {
    const { store, outbox } = this.options;
    if (state.operationId === null) {
      this.stopLease(); // the outbound transfer holds the lock from now on
      const result = await this.send(commitMutation, { idempotencyKey: state.commitKey, fencingToken: state.fencingToken });
      if (result.error && !isServerError(result.error, "NOTHING_TO_COMMIT")) {
        // The server stored nothing: back to before the commit (a lost lock redoes the batch under a new grant).
        state.commitSent = false;
        const changes: StoreChange[] = [{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }, outbox.resultRemoval(state.commitKey)];
        const incomplete = isServerError(result.error, "UPLOAD_INCOMPLETE") ? result.error.details.fileUUIDs : undefined;
        if (Array.isArray(incomplete)) {
          // Uploads the server does not count as complete (e.g. cut by a suspension around their last bytes): upload them
          // again; the resumed upload asks the server's offset first, which also completes one that has every byte.
          for (const { key, value } of await store.list("beingUploaded")) {
            if (incomplete.includes(value.change.fileUUID)) changes.push({ op: "put", collection: "beingUploaded", key, value: { ...value, done: false } });
          }
        }
        await store.commit(changes);
        throw result.error;
      }
      state.operationId = result.data?.commit.id ?? null;
      if (state.operationId === null) {
        // Nothing to commit: nothing was staged (the server has it all already).
        await this.finishBatch(state, [outbox.resultRemoval(state.commitKey)]);
        return true;
      }
      await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }, outbox.resultRemoval(state.commitKey)]);
      await this.persistencePoint("upload.commitAccepted");
    }
    const operation = await this.follow(state.operationId, "upload");
    if (operation.state !== "SUCCEEDED") return false;
    await this.finishBatch(state, []);
    return true;
  }

  private async finishBatch(state: OutboundState, extra: StoreChange[]): Promise<void> {
    const { store } = this.options;
    const entries = (await store.list("beingUploaded")).map((entry) => entry.value);
    const files = await this.localFiles();
    const changes: StoreChange[] = [...extra];
    for (const item of entries) {
      const change = item.change;
      if (change.kind === "upload") {
        const file: LocalFile = {
          fileUUID: change.fileUUID,
          version: item.version,
          sha256: change.sha256,
          cloudFileName: change.cloudFileName,
          mimeType: change.mimeType,
          appMetaData: change.appMetaData,
          deleted: false,
        };
        changes.push({ op: "put", collection: "files", key: change.fileUUID, value: file });
      } else {
        const known = files.get(change.fileUUID);
        if (known) changes.push({ op: "put", collection: "files", key: change.fileUUID, value: { ...heldFile(known), deleted: true } satisfies LocalFile });
      }
    }
    changes.push({ op: "clear", collection: "beingUploaded" }, { op: "delete", collection: "meta", key: metaKeys.outbound });
    await store.commit(changes);
    await this.persistencePoint("upload.batchFinished");
    for (const item of entries) {
      // The client-owned copy made when the upload was queued (if any).
      if (item.change.kind === "upload") await this.options.platform.removeUploadCopy(item.change.source, item.change.immutable).catch(() => undefined);
      this.emit("singleUploadComplete", { fileUUID: item.change.fileUUID, version: item.version, kind: item.change.kind, batch: state.batch });
    }
    this.emit("allUploadsComplete", { batch: state.batch, operationId: state.operationId });
  }

  // Helpers

  /** A mutation through the outbox: enqueued (a key already enqueued or answered is not sent twice), then its answer; rejected unqueued once the engine is suspended or closed. */
  private async send<TData, TVariables extends { idempotencyKey: string }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<OutboxResult<TData>> {
    // Suspended or closed: not even queued, or the outbox would send it while the app sleeps (and take the lock for it).
    this.stop.signal.throwIfAborted();
    return this.abortable(this.options.outbox.send(document, variables));
  }

  /** The promise, or a rejection as soon as the engine is suspended or closed (what it waited for goes on in the outbox). */
  private abortable<T>(promise: Promise<T>): Promise<T> {
    const signal = this.stop.signal;
    if (signal.aborted) {
      // Nobody will await it: observe its rejection (OUTBOX_CLOSED at close), or it crashes the app as unhandled.
      promise.catch(() => undefined);
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  private operation(operationId: string): Promise<Operation | null> {
    return fetchOperation(this.options.client, operationId);
  }

  /** Follows the operation (subscription, polling as the fallback) until it has ended; tells the app when it waits for the cloud. */
  private follow(operationId: string, direction: TransferWaitingEvent["direction"]): Promise<Operation> {
    return followOperation({
      client: this.options.client,
      operationId,
      pollMs: this.pollMs,
      subscribedPollMs: this.subscribedPollMs,
      signal: this.stop.signal,
      onEvent: (event) => this.emit("serverTransferEvent", event),
      onWaiting: (operation, code) => this.emit("transferWaiting", { direction, code, operationId, message: operation.errorMessage ?? code }),
    });
  }

  private async tusEndpointUrl(): Promise<string> {
    if (!this.tusEndpoint) {
      const result = await this.options.client.query(serverInfoQuery, {}).toPromise();
      this.tusEndpoint = queryData(result, "serverInfo").serverInfo.tusEndpoint;
    }
    return this.tusEndpoint;
  }

  /** A store commit named `name` is done: the process may be killed here (env), or the hook may hold the engine. */
  private async persistencePoint(name: ClientCrashPoint): Promise<void> {
    clientCrashPoint(name);
    await this.options.atPersistencePoint?.(name);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}

/** The mutations whose answers no one needs after the process that sent them is gone: a lease renewal, an unlock. */
function isFireAndForget(operationName: string | null): boolean {
  return operationName === "RenewLock" || operationName === "Unlock";
}

function putFile(entry: IndexEntry): StoreChange {
  return { op: "put", collection: "files", key: entry.fileUUID, value: fileRecord(entry) };
}

function fileRecord(entry: IndexEntry): LocalFile {
  return {
    fileUUID: entry.fileUUID,
    version: entry.version,
    sha256: entry.sha256,
    cloudFileName: entry.cloudFileName,
    mimeType: entry.mimeType,
    appMetaData: entry.appMetaData,
    deleted: entry.deleted,
  };
}

/** The record after the app kept its change over the server's version: the server's, remembering what the device held before (before the first such answer). */
function keptLocalOver(remote: IndexEntry, held: LocalFile | undefined): StoreChange {
  const before = held === undefined ? null : held.heldBeforeKeepLocal !== undefined ? held.heldBeforeKeepLocal : heldFile(held);
  return { op: "put", collection: "files", key: remote.fileUUID, value: { ...fileRecord(remote), heldBeforeKeepLocal: before } };
}

export type { PreparedUpload };
