// One simulated device: an SmsyncClient over its own store and work folder,
// behind its own cutting proxy (its network), and the app around it, which
// keeps a model of the files it holds (what it wrote, what saveDownload and
// applyDeletions handed it) and records every callback and event, so the
// invariants can be checked against what the app saw.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { SmsyncClient } from "../../client/src/SmsyncClient.ts";
import type { ConflictResolution } from "../../client/src/engine/SyncEngine.ts";
import type { Conflict, IndexEntry } from "../../client/src/engine/planDownloads.ts";
import type { CommittedBatch } from "../../client/src/queues/records.ts";
import type { ClientStore } from "../../client/src/store/ClientStore.ts";
import { MemoryStore } from "../../client/src/store/MemoryStore.ts";
import { SqliteStore } from "../../client/src/store/SqliteStore.ts";
import { startCuttingProxy, type CuttingProxy } from "../../client/test/support/cuttingProxy.ts";
import type { Rng } from "./rng.ts";
import type { Trace } from "./trace.ts";

export const sha256Hex = (bytes: Buffer | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A file as the app holds it. */
export interface HeldFile {
  sha256: string;
  /** The bytes (kept so the app can queue them again after resetFromError dropped its queues). */
  content: Buffer;
}

/** What the app and the client's events told, for the invariants. */
export interface DeviceRecord {
  /** saveDownload calls, in order (sha256 of the bytes the app read). */
  saved: { fileUUID: string; version: number; sha256: string; bytesSha256: string; epoch: number }[];
  /** applyDeletions entries, in order. */
  deleted: { fileUUID: string; version: number; epoch: number }[];
  conflicts: { conflict: Conflict; resolution: ConflictResolution }[];
  singleDownloadComplete: { fileUUID: string; version: number }[];
  deletionsApplied: string[];
  singleUploadComplete: { fileUUID: string; version: number; kind: "upload" | "delete"; batch: number }[];
  /** Batches whose commit() completed. */
  committed: CommittedBatch[];
  /** resetFromError calls, with how many changes were queued then (the changes "local"/"all" drop). */
  resets: { scope: "local" | "server" | "all"; afterBatch: number }[];
  errorModes: string[];
}

export interface SimDeviceConfig {
  name: string;
  userIndex: number;
  token: string;
  serverPort: number;
  dir: string;
  sqliteStore: boolean;
  /** Draws the conflict answers (keep-local or accept-remote). */
  rng: Rng;
  trace: Trace;
  /** A deliberately broken app (--sabotage, to prove the checks fail): it never stores the first file it is handed (any version). */
  forgetFirstDownload?: boolean;
}

export class SimDevice {
  client!: SmsyncClient;
  store!: ClientStore;
  proxy!: CuttingProxy;
  /** The files the app holds now, by fileUUID. */
  readonly files = new Map<string, HeldFile>();
  readonly record: DeviceRecord = {
    saved: [],
    deleted: [],
    conflicts: [],
    singleDownloadComplete: [],
    deletionsApplied: [],
    singleUploadComplete: [],
    committed: [],
    resets: [],
    errorModes: [],
  };
  /** Sync passes (and resumes) started by steps, still running. */
  private readonly running = new Set<Promise<void>>();
  /** Incremented by each relaunch: which client instance a callback came from. */
  epoch = 0;
  offline = false;
  readonly workDir: string;
  private readonly storePath: string;

  /** The jitter of each client instance's backoffs, drawn from the seed apart from the conflict answers (opens happen in schedule order). */
  private readonly jitter: Rng;

  constructor(readonly config: SimDeviceConfig) {
    this.jitter = config.rng.fork(999);
    this.workDir = path.join(config.dir, config.name, "work");
    this.storePath = path.join(config.dir, config.name, "client.db");
    mkdirSync(this.workDir, { recursive: true });
  }

  get name(): string {
    return this.config.name;
  }

  async start(): Promise<void> {
    this.proxy = await startCuttingProxy(this.config.serverPort);
    this.store = this.config.sqliteStore ? await SqliteStore.open(this.storePath) : new MemoryStore();
    await this.open();
  }

  /** Opens a client over the device's store (at start and on relaunch). */
  async open(): Promise<void> {
    const epoch = ++this.epoch;
    const { record, files, config } = this;
    const backoff = { initialMs: 50, maxMs: 500 };
    // The backoffs' jitter from the run's seed (per client instance), not Math.random: a replay waits the same delays.
    const engineJitter = this.jitter.fork(1);
    const outboxJitter = this.jitter.fork(2);
    this.client = await SmsyncClient.open({
      serverUrl: this.proxy.url,
      token: this.config.token,
      store: this.store,
      workDir: this.workDir,
      callbacks: {
        async saveDownload(file) {
          const bytes = readFileSync(file.path);
          const bytesSha256 = sha256Hex(bytes);
          record.saved.push({ fileUUID: file.fileUUID, version: file.version, sha256: file.sha256, bytesSha256, epoch });
          if (config.forgetFirstDownload && record.saved[0].fileUUID === file.fileUUID) return;
          files.set(file.fileUUID, { sha256: bytesSha256, content: bytes });
        },
        async applyDeletions(entries: IndexEntry[]) {
          for (const entry of entries) {
            record.deleted.push({ fileUUID: entry.fileUUID, version: entry.version, epoch });
            files.delete(entry.fileUUID);
          }
        },
        resolveConflict: async (conflict) => {
          const resolution: ConflictResolution = this.config.rng.chance(0.5) ? "keep-local" : "accept-remote";
          record.conflicts.push({ conflict, resolution });
          this.config.trace.note(`${this.name}: conflict on ${conflict.fileUUID.slice(0, 8)} (local ${conflict.local}, remote v${conflict.remote.version}${conflict.remote.deleted ? " deleted" : ""}): ${resolution}`);
          return resolution;
        },
      },
      engine: { transferRetryDelays: [], pollMs: 50, lockRetryMaxMs: 200, backoff, random: () => engineJitter.float() },
      outbox: { backoff, random: () => outboxJitter.float() },
    });
    this.client.on("singleDownloadComplete", (event) => record.singleDownloadComplete.push(event));
    this.client.on("deletionsApplied", (event) => record.deletionsApplied.push(...event.fileUUIDs));
    this.client.on("singleUploadComplete", (event) => record.singleUploadComplete.push(event));
    this.client.on("modeChanged", (event) => {
      if (event.mode === "nonRecoverableError" || event.mode === "internalError") {
        record.errorModes.push(`${event.mode}: ${event.error?.message ?? ""}`);
        this.config.trace.note(`${this.name}: ${event.mode} (${event.error?.message ?? "no error"})`);
      }
    });
    if (this.offline) this.client.setOnline(false);
  }

  /** Starts a sync pass in the background; settle, or the device's next local change, awaits its end. */
  startSync(): void {
    this.background(this.client.sync());
  }

  background(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: Error) => this.config.trace.note(`${this.name}: background call threw ${error.message}`))
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Waits for the passes started by steps (at most limitMs: then returns false, the pass still running). */
  async awaitSync(limitMs = Infinity): Promise<boolean> {
    const deadline = Date.now() + limitMs;
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await Promise.race([Promise.all([...this.running]), new Promise((resolve) => setTimeout(resolve, Math.min(left, 2 ** 31 - 1)).unref())]);
    }
    return true;
  }

  /** Closes the client (the store stays) and opens a new one, as an app relaunched. */
  async relaunch(): Promise<void> {
    await this.client.close({ closeStore: this.config.sqliteStore });
    await this.awaitSync();
    if (this.config.sqliteStore) this.store = await SqliteStore.open(this.storePath);
    await this.open();
  }

  async close(): Promise<void> {
    await this.client.close({ closeStore: true }).catch(() => undefined);
    await this.awaitSync().catch(() => undefined);
    await this.proxy.close();
  }
}
