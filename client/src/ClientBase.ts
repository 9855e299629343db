// What the Node client (SmsyncClient.ts) and the browser client
// (browser/BrowserSmsyncClient.ts) share: one store, one urql client and
// outbox, one engine over a platform (platform/EnginePlatform.ts), the
// queues' calls, the status queries, error reset and the lifecycle calls.
// Each subclass adds its own ways of queueing bytes and its `open`.
import { createGraphQLClient, type SmsyncGraphQL } from "./graphql/createGraphQLClient.ts";
import { resetServerStateMutation } from "./graphql/operations.ts";
import type { OutboxOptions } from "./graphql/outbox/index.ts";
import type { Mode } from "./modes.ts";
import { isErrorMode } from "./modes.ts";
import type { DownloadedFileInfo, EnginePlatform } from "./platform/EnginePlatform.ts";
import { bytesToBase64, sha256Hex } from "./platform/bytes.ts";
import { ClientUsageError } from "./queues/ClientUsageError.ts";
import type { CommittedBatch, LocalFile, PreparedUpload } from "./queues/records.ts";
import { commitPrepared, queueDeletion, queueUpload } from "./queues/uploadsBeingPrepared.ts";
import type { ClientStore } from "./store/ClientStore.ts";
import { SyncEngine, type EngineCallbacks, type EngineTuning, type SyncEvents } from "./engine/SyncEngine.ts";
import type { IndexEntry } from "./engine/planDownloads.ts";
import type { LiveOptions } from "./engine/liveSync.ts";
import type { Clock } from "./time/clock.ts";

/** The options both clients take; D is how a download is handed to the app. */
export interface ClientBaseOptions<D extends DownloadedFileInfo> {
  serverUrl: string;
  /** The device token. */
  token: string;
  store: ClientStore;
  callbacks: EngineCallbacks<D>;
  /** Engine tuning (tests): operation polling, LOCK_HELD wait cap, backoff, the persistence-point hook. */
  engine?: EngineTuning;
  outbox?: OutboxOptions;
  /**
   * For tests: the clock the engine and the outbox wait on (default the
   * system's); a test passes a MovableClock and moves it past a lease or a
   * backoff instead of sleeping. `engine.clock` and `outbox.clock` override it.
   */
  clock?: Clock;
}

export interface UploadOptions {
  cloudFileName: string;
  mimeType: string;
  /** JSON text (at most 64 KiB). */
  appMetaData?: string | null;
}

/** Where a file stands on this device. */
export interface LocalFileStatus {
  fileUUID: string;
  /** The version the server confirmed to this device (null: never uploaded). */
  file: LocalFile | null;
  /** The newest change not yet confirmed: prepared, committed or being uploaded. */
  pending: { stage: "prepared" | "committed" | "uploading"; kind: "upload" | "delete" } | null;
  downloading: boolean;
}

/** What this device has not yet finished with the server: changes not yet confirmed, downloads not yet handed over. */
export interface PendingWork {
  /** Files whose newest change here is an upload not yet confirmed by the server. */
  uploads: number;
  /** Files whose newest change here is a deletion not yet confirmed by the server. */
  deletions: number;
  /** Downloads planned and not yet handed to the app. */
  downloads: number;
}

export type ClientEvents = SyncEvents;

/** What resetFromError clears: the device's queues, its staged work on the server, or both. */
export type ResetScope = "local" | "server" | "all";

/** The urql client, outbox and engine of a client (built by connectClient). */
export interface ClientParts<D extends DownloadedFileInfo> {
  graphql: SmsyncGraphQL;
  engine: SyncEngine<D>;
}

/** Opens the GraphQL client and the engine over the store and the platform. */
export async function connectClient<D extends DownloadedFileInfo>(
  options: ClientBaseOptions<D>,
  platform: EnginePlatform<D>,
  webSocketImpl?: unknown,
): Promise<ClientParts<D>> {
  const graphql = createGraphQLClient({
    serverUrl: options.serverUrl,
    token: options.token,
    store: options.store,
    ...(options.outbox || options.clock
      ? { outbox: { ...(options.clock ? { clock: options.clock } : {}), ...options.outbox } }
      : {}),
    ...(webSocketImpl ? { webSocketImpl } : {}),
  });
  const engine = await SyncEngine.open<D>({
    store: options.store,
    client: graphql.client,
    outbox: graphql.outbox,
    webSocket: graphql.webSocket,
    serverUrl: options.serverUrl,
    token: options.token,
    callbacks: options.callbacks,
    platform,
    ...(options.clock ? { clock: options.clock } : {}),
    ...options.engine,
  });
  return { graphql, engine };
}

/** BAD_INPUT unless `fileUUID` is a non-empty string (apps in JavaScript can pass anything). */
export function checkFileUUID(fileUUID: unknown): void {
  if (typeof fileUUID !== "string" || fileUUID.length === 0)
    throw new ClientUsageError("BAD_INPUT", "fileUUID must be a non-empty string");
}

export abstract class ClientBase<D extends DownloadedFileInfo> {
  protected closed = false;
  protected readonly graphql: SmsyncGraphQL;
  protected readonly engine: SyncEngine<D>;
  private resetting: { scope: ResetScope; done: Promise<void> } | undefined;

  protected constructor(
    protected readonly options: ClientBaseOptions<D>,
    parts: ClientParts<D>,
  ) {
    this.graphql = parts.graphql;
    this.engine = parts.engine;
  }

  get mode(): Mode {
    return this.engine.mode;
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    return this.engine.on(event, listener);
  }

  protected checkUsable(): void {
    if (this.closed) throw new ClientUsageError("CLOSED", "the client is closed");
    if (isErrorMode(this.engine.mode)) {
      throw new ClientUsageError("ERROR_MODE", `the client is in ${this.engine.mode}: call resetFromError first`);
    }
  }

  /** Queues an upload of bytes held in memory (kept in the store as base64: for small payloads). */
  async uploadData(fileUUID: string, bytes: Uint8Array, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const sha256 = await sha256Hex(bytes);
    await queueUpload(
      this.options.store,
      this.prepared(fileUUID, { base64: bytesToBase64(bytes) }, sha256, bytes.byteLength, true, options),
    );
  }

  protected prepared(
    fileUUID: string,
    source: PreparedUpload["source"],
    sha256: string,
    size: number,
    immutable: boolean,
    options: UploadOptions,
    linked = false,
  ): PreparedUpload {
    checkFileUUID(fileUUID);
    return {
      kind: "upload",
      fileUUID,
      source,
      cloudFileName: options.cloudFileName,
      mimeType: options.mimeType,
      appMetaData: options.appMetaData ?? null,
      sha256,
      size,
      immutable,
      ...(linked ? { linked } : {}),
      queuedAt: new Date().toISOString(),
    };
  }

  async deleteFile(fileUUID: string): Promise<void> {
    this.checkUsable();
    await queueDeletion(this.options.store, fileUUID);
  }

  /** Closes the changes queued so far into a batch (null if there were none: an empty commit does nothing); sync() uploads it. */
  async commit(): Promise<CommittedBatch | null> {
    this.checkUsable();
    const batch = await commitPrepared(this.options.store);
    if (batch) this.engine.localChangeCommitted();
    return batch;
  }

  /** Runs a sync pass to its end (see SyncEngine.sync). */
  sync(): Promise<void> {
    return this.engine.sync();
  }

  /**
   * Live mode: passes run by themselves, soon after another device's commit
   * lands on the server (the fileIndexChanged subscription; polling eventSeq
   * while it is down) and after this app's commit(). Resolves once live: the
   * device's id and the user's event position read, the subscription opened
   * after it (or polling begun), a catch-up pass started (not awaited).
   * Already live: nothing. Rejects when those reads fail (try again later).
   */
  startLive(options?: LiveOptions): Promise<void> {
    if (this.closed) return Promise.reject(new ClientUsageError("CLOSED", "the client is closed"));
    return this.engine.startLive(options);
  }

  /** Leaves live mode: unsubscribes, cancels a pass it scheduled; a pass in flight goes on (suspend() aborts it). */
  stopLive(): Promise<void> {
    this.engine.stopLive();
    return Promise.resolve();
  }

  /** Whether live mode is on (startLive resolved, and neither stopLive, close nor a refused token ended it). */
  get live(): boolean {
    return this.engine.live;
  }

  /** The server's file index (a query, not cached). */
  fileIndex(): Promise<IndexEntry[]> {
    return this.engine.fileIndex();
  }

  /** Counts what is still pending on this device (e.g. after a pass that ended in networkNotConnected). */
  async pendingWork(): Promise<PendingWork> {
    const { store } = this.options;
    const [prepared, uploading, batches, downloading] = await Promise.all([
      store.list("uploadsBeingPrepared"),
      store.list("beingUploaded"),
      store.list("committedUploads"),
      store.list("beingDownloaded"),
    ]);
    // The newest change of each file wins, as in localFileStatus: uploading, then committed batches in order, then prepared.
    const newest = new Map<string, "upload" | "delete">();
    for (const { value } of uploading) newest.set(value.change.fileUUID, value.change.kind);
    for (const { value } of batches) for (const change of value.changes) newest.set(change.fileUUID, change.kind);
    for (const { value } of prepared) newest.set(value.fileUUID, value.kind);
    const kinds = [...newest.values()];
    return {
      uploads: kinds.filter((kind) => kind === "upload").length,
      deletions: kinds.filter((kind) => kind === "delete").length,
      downloads: downloading.length,
    };
  }

  async localFileStatus(fileUUID: string): Promise<LocalFileStatus> {
    const { store } = this.options;
    const [file, prepared, uploading, downloading, batches] = await Promise.all([
      store.get("files", fileUUID),
      store.get("uploadsBeingPrepared", fileUUID),
      store.get("beingUploaded", fileUUID),
      store.get("beingDownloaded", fileUUID),
      store.list("committedUploads"),
    ]);
    let pending: LocalFileStatus["pending"] = null;
    if (uploading) pending = { stage: "uploading", kind: uploading.change.kind };
    for (const { value } of batches) {
      const change = value.changes.find((candidate) => candidate.fileUUID === fileUUID);
      if (change) pending = { stage: "committed", kind: change.kind };
    }
    if (prepared) pending = { stage: "prepared", kind: prepared.kind };
    return { fileUUID, file: file ?? null, pending, downloading: downloading !== undefined };
  }

  /**
   * Leaves an error mode: "local" clears the queues (what was not uploaded is
   * lost), "server" gives up the device's staged uploads and lock on the
   * server, "all" does both. The mode is idle afterwards. A call with the
   * same scope while a reset runs joins it; another scope is refused with
   * RESET_IN_PROGRESS.
   */
  async resetFromError(scope: ResetScope): Promise<void> {
    if (this.closed) throw new ClientUsageError("CLOSED", "the client is closed");
    // A second call while a reset runs joins it (apps call reset from several places); another scope would be a different reset.
    if (this.resetting) {
      if (this.resetting.scope !== scope) {
        throw new ClientUsageError(
          "RESET_IN_PROGRESS",
          `resetFromError("${this.resetting.scope}") is running: wait for it before resetFromError("${scope}")`,
        );
      }
      return this.resetting.done;
    }
    const done = this.reset(scope).finally(() => {
      this.resetting = undefined;
    });
    this.resetting = { scope, done };
    return done;
  }

  private async reset(scope: ResetScope): Promise<void> {
    await this.engine.setMode("resettingFromError");
    try {
      if (scope === "server" || scope === "all") {
        const key = globalThis.crypto.randomUUID();
        const result = await this.graphql.outbox.send(resetServerStateMutation, { idempotencyKey: key });
        await this.graphql.outbox.takeResult(key);
        if (result.error) throw result.error;
        if (scope === "server") await this.options.store.commit(await this.engine.serverResetChanges());
      }
      if (scope === "local" || scope === "all") {
        await this.options.store.commit(await this.engine.localResetChanges());
        await this.engine.sweepUploadCopies();
      }
      await this.engine.setMode("idle");
    } catch (error) {
      await this.engine.setMode("internalError", error as Error);
      throw error;
    }
  }

  /** The app goes to the background: transfers in flight are aborted (their resume state kept) and the engine stops until resume(). */
  suspend(): Promise<void> {
    return this.engine.suspend();
  }

  /** Back from the background: a sync pass goes on from the stored state. */
  resume(): Promise<void> {
    return this.engine.resume();
  }

  /** The app's word on the network: online retries at once, offline holds the outbox. */
  setOnline(online: boolean): void {
    this.graphql.outbox.setOnline(online);
    if (online) this.engine.wake();
  }

  /** Stops the engine and the outbox (what is pending stays stored) and closes the store. */
  async close(options: { closeStore?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.engine.close();
    await this.graphql.close();
    if (options.closeStore ?? true) await this.options.store.close();
  }
}
