// What every phase of the engine works with (docs/client-design.md, "The
// engine's parts"): the store and the server, the app's callbacks and
// platform, the events, the persistence points, the lease, the stop signal
// and the engine-wide state. SyncEngine builds one per engine and hands it to
// the phases (lock.ts, downloads.ts, uploadBatch.ts, commitBatch.ts,
// conflicts.ts, reset.ts, syncPass.ts), which never import SyncEngine.
import type { Client, TypedDocumentNode } from "@urql/core";
import { serverInfoQuery } from "../graphql/operations.ts";
import type { Outbox, OutboxResult } from "../graphql/outbox/index.ts";
import { queryData } from "../graphql/queryData.ts";
import type { Mode } from "../modes.ts";
import type { DownloadedFile, DownloadedFileInfo, EnginePlatform } from "../platform/EnginePlatform.ts";
import type { ClientStore } from "../store/ClientStore.ts";
import { abortable } from "./abortable.ts";
import { clientCrashPoint, type ClientCrashPoint } from "./crashPoints.ts";
import { SyncEventEmitter, type SyncEvents } from "./events.ts";
import {
  fetchOperation,
  followOperation,
  type Operation,
  type OperationStatus,
  type ServerTransferEvent,
} from "./followOperation.ts";
import { Lease } from "./lease.ts";
import type { EngineCallbacks, SyncEngineOptions } from "./options.ts";
import { metaKeys } from "./state.ts";
import { systemClock, type Clock, type TimerPurpose } from "../time/clock.ts";
import type { TransferWaitingEvent } from "./transferWaits.ts";

/** serverInfo's byte plane: tus for large files, the batch paths for small ones. */
export interface ByteEndpoints {
  tusEndpoint: string;
  uploadBatchUrl: string;
  downloadBatchUrl: string;
  /** serverInfo.downloadUrlPattern: a staged file's URL, with {fileUUID} and {version}. */
  downloadUrlPattern: string;
  batchMaxFileBytes: number;
  batchMaxFiles: number;
  batchMaxBytes: number;
}

export class EngineContext<D extends DownloadedFileInfo = DownloadedFile> {
  readonly store: ClientStore;
  readonly client: Client;
  readonly outbox: Outbox;
  readonly token: string;
  readonly callbacks: EngineCallbacks<D>;
  readonly platform: EnginePlatform<D>;
  readonly events = new SyncEventEmitter();
  readonly lease: Lease = new Lease(this);
  /** Uploads of a batch that run at once. */
  readonly transferConcurrency: number;
  /** Longest wait before locking again after LOCK_HELD. */
  readonly lockRetryMaxMs: number;
  /** How long a lock call waits in the server once the lock was found held (0: poll). */
  readonly lockWaitSeconds: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** The backoff's jitter. */
  readonly random: () => number;
  /** Every wait of the engine (lease renewals, backoffs, polling) is on this clock. */
  readonly clock: Clock;
  readonly transferRetryDelays: number[] | undefined;
  /** Copies the app's upload calls are making and queueing now (paths, or blob keys in a browser): not to be swept. */
  readonly copiesBeingQueued = new Set<string>();

  mode: Mode = "idle";
  /** Set by close(): loops end, nothing new starts. */
  closed = false;
  /** Passes that failed on the network since the server last answered: they set the backoff. */
  networkFailures = 0;
  /** A pass or an outbox request failed on the network, and the server has not answered since. */
  networkDown = false;

  private readonly pollMs: number;
  private readonly subscribedPollMs: number;
  private readonly atPersistencePoint: SyncEngineOptions<D>["atPersistencePoint"];
  /** Aborted by suspend() and close(): transfers, outbox waits, polling and sleeps end with it. */
  private stopController = new AbortController();
  private readonly wakers = new Set<() => void>();
  private endpoints: Promise<ByteEndpoints> | undefined;

  constructor(options: SyncEngineOptions<D>) {
    this.store = options.store;
    this.client = options.client;
    this.outbox = options.outbox;
    this.token = options.token;
    this.callbacks = options.callbacks;
    this.platform = options.platform;
    this.pollMs = options.pollMs ?? 1000;
    this.subscribedPollMs = options.subscribedPollMs ?? 10_000;
    this.transferConcurrency = options.transferConcurrency ?? 4;
    this.lockRetryMaxMs = options.lockRetryMaxMs ?? 5000;
    this.lockWaitSeconds = options.lockWaitSeconds ?? 10;
    this.backoffInitialMs = options.backoff?.initialMs ?? 500;
    this.backoffMaxMs = options.backoff?.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
    this.transferRetryDelays = options.transferRetryDelays;
    this.atPersistencePoint = options.atPersistencePoint;
  }

  /** Aborts when the engine is suspended or closed. */
  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  /** Suspends or closes: what is in flight ends with this reason, and sleeps end. */
  abort(reason: Error): void {
    this.stopController.abort(reason);
    this.wakeSleepers();
  }

  /** After a suspension: a fresh signal for the passes to come. */
  renewSignal(): void {
    this.stopController = new AbortController();
  }

  emit<E extends keyof SyncEvents>(event: E, payload: SyncEvents[E]): void {
    this.events.emit(event, payload);
  }

  async setMode(mode: Mode, error?: Error): Promise<void> {
    if (mode === this.mode) return;
    const previous = this.mode;
    this.mode = mode;
    try {
      await this.store.commit([{ op: "put", collection: "meta", key: metaKeys.mode, value: mode }]);
    } finally {
      // The engine is in this mode even when the store refused to keep it (a full disk): the app is told either way.
      this.emit("modeChanged", { mode, previous, ...(error ? { error } : {}) });
    }
  }

  /** The server answered (a pass finished, or the outbox got a result): after network failures, the network is back. */
  networkRestored(): void {
    if (this.networkDown) this.emit("recovery", { kind: "networkRestored", failedPasses: this.networkFailures });
    this.networkDown = false;
    // The passes' backoff restarts only when a pass finishes: a server that answers the lock but never the index must not be retried at the initial delay forever.
  }

  /** A mutation through the outbox: enqueued (a key already enqueued or answered is not sent twice), then its answer; rejected unqueued once the engine is suspended or closed. */
  send<TData, TVariables extends { idempotencyKey: string }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<OutboxResult<TData>> {
    // Suspended or closed: not even queued, or the outbox would send it while the app sleeps (and take the lock for it).
    this.signal.throwIfAborted();
    return abortable(this.outbox.send(document, variables), this.signal);
  }

  operation(operationId: string): Promise<Operation | null> {
    return fetchOperation(this.client, operationId);
  }

  /**
   * Follows the operation (subscription, polling as the fallback) until it
   * has ended; tells the app when it waits for the cloud, and `onEvent` of
   * each of the server's events.
   */
  follow(
    operationId: string,
    direction: TransferWaitingEvent["direction"],
    onEvent?: (event: ServerTransferEvent) => void,
  ): Promise<OperationStatus> {
    return followOperation({
      client: this.client,
      operationId,
      clock: this.clock,
      pollMs: this.pollMs,
      subscribedPollMs: this.subscribedPollMs,
      signal: this.signal,
      onEvent: (event) => {
        onEvent?.(event);
        this.emit("serverTransferEvent", event);
      },
      onWaiting: (operation, code) =>
        this.emit("transferWaiting", { direction, code, operationId, message: operation.errorMessage ?? code }),
    });
  }

  forgetByteEndpoints(): void {
    this.endpoints = undefined;
  }

  /**
   * Where the byte plane is, and the batch limits (serverInfo), asked once a
   * pass; `prefetch` asks beside the pass's first requests, so that its
   * uploads and downloads do not wait for the answer.
   */
  byteEndpoints(): Promise<ByteEndpoints> {
    this.endpoints ??= this.askByteEndpoints().catch((error: unknown) => {
      this.endpoints = undefined; // asked again by the next caller
      throw error;
    });
    return this.endpoints;
  }

  prefetchByteEndpoints(): void {
    // A failure is the next byteEndpoints() caller's to see (it asks again).
    this.byteEndpoints().catch(() => undefined);
  }

  private async askByteEndpoints(): Promise<ByteEndpoints> {
    const result = await this.client.query(serverInfoQuery, {}).toPromise();
    const { serverInfo } = queryData(result, "serverInfo");
    return {
      tusEndpoint: serverInfo.tusEndpoint,
      uploadBatchUrl: serverInfo.uploadBatchUrl,
      downloadBatchUrl: serverInfo.downloadBatchUrl,
      downloadUrlPattern: serverInfo.downloadUrlPattern,
      batchMaxFileBytes: serverInfo.limits.batchMaxFileBytes,
      batchMaxFiles: serverInfo.limits.batchMaxFiles,
      batchMaxBytes: serverInfo.limits.batchMaxBytes,
    };
  }

  /** A store commit named `name` is done: the process may be killed here (env), or the hook may hold the engine. */
  async persistencePoint(name: ClientCrashPoint): Promise<void> {
    clientCrashPoint(name);
    await this.atPersistencePoint?.(name);
  }

  /** A wait on the engine's clock that wakeSleepers() ends early. */
  sleep(ms: number, purpose: TimerPurpose): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        cancel();
        this.wakers.delete(done);
        resolve();
      };
      const cancel = this.clock.setTimer(done, ms, purpose);
      this.wakers.add(done);
    });
  }

  wakeSleepers(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
