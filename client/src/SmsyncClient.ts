// The SDK's public API (docs/client-design.md, "Parts"): what an app calls.
// The queues' rules are in queues/uploadsBeingPrepared.ts, the sync pass in
// engine/SyncEngine.ts; this class wires them to one store, one urql client
// and one outbox, and gives the app typed events.
//
// uploadFile (a file the app may change later) copies the bytes into a
// client-owned folder (<workDir>/uploads) while hashing them, so what is
// uploaded is exactly what was queued; uploadImmutableFile hashes in place
// and uploads from the app's path; uploadData keeps the bytes in the store
// (base64; for small payloads).
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SmsyncClientError } from "./errors.ts";
import { createGraphQLClient, type SmsyncGraphQL } from "./graphql/createGraphQLClient.ts";
import { fileIndexQuery, resetServerStateMutation } from "./graphql/operations.ts";
import type { OutboxOptions } from "./graphql/outboxExchange.ts";
import type { Mode } from "./modes.ts";
import { isErrorMode } from "./modes.ts";
import { ClientUsageError } from "./queues/ClientUsageError.ts";
import type { CommittedBatch, LocalFile, PreparedChange, PreparedUpload } from "./queues/records.ts";
import { commitPrepared, queueDeletion, queueUpload } from "./queues/uploadsBeingPrepared.ts";
import type { ClientStore } from "./store/ClientStore.ts";
import { queryData, SyncEngine, type BeingUploaded, type EngineCallbacks, type SyncEvents } from "./engine/SyncEngine.ts";
import type { IndexEntry } from "./engine/planDownloads.ts";

export interface SmsyncClientOptions {
  serverUrl: string;
  /** The device token. */
  token: string;
  store: ClientStore;
  callbacks: EngineCallbacks;
  /** A folder the client owns: staged downloads and copies of queued uploads (default: a folder under the OS temp dir). */
  workDir?: string;
  /** Engine tuning (tests): operation polling, LOCK_HELD wait cap, backoff. */
  engine?: { pollMs?: number; lockRetryMaxMs?: number; backoff?: { initialMs?: number; maxMs?: number }; transferRetryDelays?: number[] };
  outbox?: OutboxOptions;
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

export type ClientEvents = SyncEvents;

export class SmsyncClient {
  private closed = false;

  private constructor(
    private readonly options: SmsyncClientOptions,
    private readonly graphql: SmsyncGraphQL,
    private readonly engine: SyncEngine,
    private readonly workDir: string,
  ) {}

  static async open(options: SmsyncClientOptions): Promise<SmsyncClient> {
    const workDir = options.workDir ?? path.join(tmpdir(), "smsync-client", createHash("sha256").update(`${options.serverUrl}\n${options.token}`).digest("hex").slice(0, 16));
    await mkdir(path.join(workDir, "uploads"), { recursive: true });
    const graphql = createGraphQLClient({ serverUrl: options.serverUrl, token: options.token, store: options.store, ...(options.outbox ? { outbox: options.outbox } : {}) });
    const engine = await SyncEngine.open({
      store: options.store,
      client: graphql.client,
      outbox: graphql.outbox,
      serverUrl: options.serverUrl,
      token: options.token,
      callbacks: options.callbacks,
      workDir,
      ...options.engine,
    });
    return new SmsyncClient(options, graphql, engine, workDir);
  }

  get mode(): Mode {
    return this.engine.mode;
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    return this.engine.on(event, listener);
  }

  private checkUsable(): void {
    if (this.closed) throw new ClientUsageError("CLOSED", "the client is closed");
    if (isErrorMode(this.engine.mode)) {
      throw new ClientUsageError("ERROR_MODE", `the client is in ${this.engine.mode}: call resetFromError first`);
    }
  }

  /** Queues an upload of a file the app may change later: its bytes are copied now (and hashed), and the copy is uploaded. */
  async uploadFile(fileUUID: string, filePath: string, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const copy = path.join(this.workDir, "uploads", `${fileUUID}.${randomUUID()}`);
    this.engine.copiesBeingQueued.add(copy);
    try {
      const { sha256, size } = await hashFile(filePath, copy);
      await queueUpload(this.options.store, this.prepared(fileUUID, { path: copy }, sha256, size, false, options));
    } catch (error) {
      await rm(copy, { force: true });
      await rm(`${copy}.tmp`, { force: true });
      throw error;
    } finally {
      this.engine.copiesBeingQueued.delete(copy);
    }
  }

  /** Queues an upload of a file the app promises not to change until it is uploaded: hashed in place, no copy. */
  async uploadImmutableFile(fileUUID: string, filePath: string, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const { sha256, size } = await hashFile(filePath, null);
    await queueUpload(this.options.store, this.prepared(fileUUID, { path: filePath }, sha256, size, true, options));
  }

  /** Queues an upload of bytes held in memory (kept in the store: for small payloads). */
  async uploadData(fileUUID: string, bytes: Uint8Array, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    await queueUpload(
      this.options.store,
      this.prepared(fileUUID, { base64: Buffer.from(bytes).toString("base64") }, sha256, bytes.byteLength, true, options),
    );
  }

  private prepared(fileUUID: string, source: PreparedUpload["source"], sha256: string, size: number, immutable: boolean, options: UploadOptions): PreparedUpload {
    if (typeof fileUUID !== "string" || fileUUID.length === 0) throw new ClientUsageError("BAD_INPUT", "fileUUID must be a non-empty string");
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
    return commitPrepared(this.options.store);
  }

  /** Runs a sync pass to its end (see SyncEngine.sync). */
  sync(): Promise<void> {
    return this.engine.sync();
  }

  /** The server's file index (a query, not cached). */
  async fileIndex(): Promise<IndexEntry[]> {
    const result = await this.graphql.client.query(fileIndexQuery, {}).toPromise();
    return queryData(result, "fileIndex").fileIndex.files.map(({ updatedAt: _updatedAt, ...entry }) => entry);
  }

  async localFileStatus(fileUUID: string): Promise<LocalFileStatus> {
    const { store } = this.options;
    const [file, prepared, uploading, downloading, batches] = await Promise.all([
      store.get<LocalFile>("files", fileUUID),
      store.get<PreparedChange>("uploadsBeingPrepared", fileUUID),
      store.get<BeingUploaded>("beingUploaded", fileUUID),
      store.get("beingDownloaded", fileUUID),
      store.list<CommittedBatch>("committedUploads"),
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
   * server, "all" does both. The mode is idle afterwards.
   */
  async resetFromError(scope: "local" | "server" | "all"): Promise<void> {
    if (this.closed) throw new ClientUsageError("CLOSED", "the client is closed");
    await this.engine.setMode("resettingFromError");
    try {
      if (scope === "server" || scope === "all") {
        const key = randomUUID();
        const result = await this.graphql.outbox.send(resetServerStateMutation, { idempotencyKey: key });
        await this.graphql.outbox.takeResult(key);
        if (result.error) throw result.error;
        if (scope === "server") await this.options.store.commit(await this.engine.serverResetChanges());
      }
      if (scope === "local" || scope === "all") {
        await this.options.store.commit(this.engine.localResetChanges());
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

/** sha256 and size of a file, streamed; with `copyTo`, the bytes are also written there (temp file, then renamed). */
async function hashFile(filePath: string, copyTo: string | null): Promise<{ sha256: string; size: number }> {
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new ClientUsageError("NOT_A_FILE", `${filePath} is not a file`);
  } catch (error) {
    if (error instanceof SmsyncClientError) throw error;
    throw new ClientUsageError("NOT_A_FILE", `${filePath} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const hash = createHash("sha256");
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  if (copyTo) {
    const temp = `${copyTo}.tmp`;
    await pipeline(createReadStream(filePath), hasher, createWriteStream(temp));
    await rename(temp, copyTo);
  } else {
    await pipeline(createReadStream(filePath), hasher, async function* (source) {
      for await (const _chunk of source) {
        // drained
      }
    });
  }
  return { sha256: hash.digest("hex"), size };
}
