// One simulated device: an SmsyncClient over its own store and work folder,
// behind its own cutting proxy (its network), and the app around it, which
// keeps a model of the files it holds (what it wrote, what saveDownload and
// applyDeletions handed it) and records every callback and event, so the
// invariants can be checked against what the app saw.
//
// A device runs one client instance at a time (an app process). A relaunch
// closes it and opens another; a kill (at an engine persistence point, by
// the atPersistencePoint hook) ends it as SIGKILL would: from that instant
// nothing of it reaches the store, the network or the app, and the app
// relaunches at once over the same store file, with its files and records
// (the app's durable state) as they were. A pause freezes the engine and its
// network while it holds the lock, as SIGSTOP would.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type BeingUploaded,
  type ClientCrashPoint,
  type Conflict,
  type ConflictResolution,
  type DownloadedFile,
  type IndexEntry,
  SmsyncClient,
  type SyncEvents,
} from "@smsync/client/node";
import { type ClientStore, ClientUsageError, type CommittedBatch, MemoryStore, type StoreChange } from "@smsync/client";
import { SqliteStore } from "@smsync/client/sqlite";
import { startCuttingProxy, type CuttingProxy } from "@smsync/testkit";
import { KillableStore } from "./killableStore.ts";
import type { Rng } from "./rng.ts";
import type { Sabotage } from "./sabotage.ts";
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
  singleUploadComplete: SyncEvents["singleUploadComplete"][];
  /** Batches whose commit() completed. */
  committed: CommittedBatch[];
  /** Changes the app queued by its steps (an upload's sha256), with the last batch committed before. */
  queued: { fileUUID: string; kind: "upload" | "delete"; sha256?: string; afterBatch: number }[];
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
  /**
   * A deliberately broken app (--sabotage N, to prove invariant N's check fails; sabotage.ts), as given to user 0's devices.
   * On u0.d1: 2, it never stores the first file it is handed (any version); 4, it misses the first singleDownloadComplete.
   */
  sabotage?: Sabotage;
}

/** A kill armed on a device: the (skip+1)-th time its engine reaches the point. */
interface ArmedKill {
  point: ClientCrashPoint;
  skip: number;
  killed: () => void;
}

/** A pause armed on a device: the next time its engine is granted the lock. */
export interface ArmedPause {
  pauseMs: number;
  /** The user's other devices: they sync while the holder is frozen, so one may take its lock over. */
  others: SimDevice[];
  frozen: () => void;
  /** Which other device was granted the lock meanwhile (the holder's lease expired), if any. */
  thawed: (takenOverBy: string | null) => void;
}

/** The batch a commit is finishing (beingUploaded cleared, engine.outbound removed), read just before it is written. */
interface FinishingBatch {
  batch: number;
  items: BeingUploaded[];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One client instance (an app process) of a device. */
class ClientInstance {
  client!: SmsyncClient;
  dead = false;
  /** Being closed by a relaunch or at the run's end: not to be killed or paused then. */
  closing = false;
  /** Resolves when the instance is killed. */
  readonly died: Promise<undefined>;
  private markDied!: () => void;
  /** The fileUUIDs of the last applyDeletions call. */
  lastDeletions: string[] = [];
  finishing: FinishingBatch | null = null;
  /** The files the last commit that cleared downloads took as held: a batch's group, or one file. */
  acknowledged: { fileUUID: string; version: number }[] = [];
  /** What the dead instance's engine and app callbacks wait on: never settled, until bury() fails it. */
  private readonly hanging = new Set<(error: Error) => void>();

  constructor(
    readonly epoch: number,
    readonly store: KillableStore,
  ) {
    this.died = new Promise((resolve) => (this.markDied = () => resolve(undefined)));
  }

  /**
   * As SIGKILL: its store calls hang and its app callbacks and events are
   * ignored (the device cuts its connections). Its outbox, the one part that
   * would send again without its store, is held offline; every other request
   * waits on the dead store or on the engine held at the kill's persistence
   * point.
   */
  kill(): void {
    this.dead = true;
    this.store.kill();
    this.client.setOnline(false);
    this.markDied();
  }

  /** A promise that never settles while the instance lies dead. */
  hang(): Promise<never> {
    return new Promise((_, reject) => this.hanging.add(reject));
  }

  /** At the run's end: what hangs fails (the client closed first, so its pass just ends), the client closes; its store handle goes. */
  async bury(closeStoreHandle: boolean, note: (line: string) => void): Promise<void> {
    // Closing a killed instance meets its dead store and its hanging waits: how it ends is for the trace.
    const closed = this.client
      .close({ closeStore: false })
      .catch((error: unknown) => note(`killed instance #${this.epoch}: its close ended with ${messageOf(error)}`));
    this.store.bury();
    const buried = new Error("the client instance was killed");
    for (const reject of this.hanging) reject(buried);
    await Promise.race([closed, sleep(2000)]);
    if (closeStoreHandle) {
      await this.store.inner
        .close()
        .catch((error: unknown) =>
          note(`killed instance #${this.epoch}: closing its store failed: ${messageOf(error)}`),
        );
    }
  }
}

export class SimDevice {
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
    queued: [],
    resets: [],
    errorModes: [],
  };
  /** Sync passes (and resumes) started by steps, still running. */
  private readonly running = new Set<Promise<void>>();
  /** Incremented by each relaunch: which client instance a callback came from. */
  epoch = 0;
  offline = false;
  /** Times the device's engines were granted the lock (any instance). */
  lockGrants = 0;
  readonly workDir: string;
  private readonly storePath: string;
  /**
   * The device's network, the same for all its client instances: a killed
   * one is cut off it (see ClientInstance.kill), but its address stays, as an
   * app's server URL does (a relaunched client resumes its uploads at the
   * URLs it stored).
   */
  proxy!: CuttingProxy;
  private current!: ClientInstance;
  private readonly killedInstances: ClientInstance[] = [];
  /** The relaunch after a kill, while it runs. */
  private relaunching: Promise<void> = Promise.resolve();
  private memoryStore: MemoryStore | undefined;
  private armedKill: ArmedKill | undefined;
  private armedPause: ArmedPause | undefined;
  /** Sabotage 4: the app missed its first singleDownloadComplete. */
  private missedDownloadComplete = false;

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

  /** The app's client now (wait for ready() after a kill: until then, the dead one). */
  get client(): SmsyncClient {
    return this.current.client;
  }

  get store(): ClientStore {
    return this.current.store;
  }

  async start(): Promise<void> {
    this.proxy = await startCuttingProxy(this.config.serverPort);
    await this.open();
  }

  /** Opens a client over the device's store (at start, on relaunch and after a kill). */
  private async open(): Promise<void> {
    const epoch = ++this.epoch;
    const base = this.config.sqliteStore
      ? await SqliteStore.open(this.storePath)
      : (this.memoryStore ??= new MemoryStore());
    const store: KillableStore = new KillableStore(base, (changes) => this.noteCommit(instance, base, changes));
    const instance = new ClientInstance(epoch, store);
    const { record, files, config } = this;
    const broken = (sabotage: Sabotage) => config.sabotage === sabotage && config.name === "u0.d1";
    const backoff = { initialMs: 50, maxMs: 500 };
    // The backoffs' jitter from the run's seed (per client instance), not Math.random: a replay waits the same delays.
    const engineJitter = this.jitter.fork(1);
    const outboxJitter = this.jitter.fork(2);
    const saveOne = (file: DownloadedFile): void => {
      const bytes = readFileSync(file.path);
      const bytesSha256 = sha256Hex(bytes);
      record.saved.push({ fileUUID: file.fileUUID, version: file.version, sha256: file.sha256, bytesSha256, epoch });
      config.trace.note(
        `${config.name}: the app saves ${file.fileUUID.slice(0, 8)} v${file.version} (${bytes.length} B)`,
      );
      if (broken(2) && record.saved[0]?.fileUUID === file.fileUUID) return;
      files.set(file.fileUUID, { sha256: bytesSha256, content: bytes });
    };
    const client = await SmsyncClient.open({
      serverUrl: this.proxy.url,
      token: this.config.token,
      store,
      workDir: this.workDir,
      callbacks: {
        saveDownload: (file) => (instance.dead ? instance.hang() : Promise.resolve(saveOne(file))),
        // User 1's devices take small files a group at a time, as the CLI does; user 0's one by one.
        ...(config.userIndex % 2 === 1
          ? {
              saveDownloads: async (group: DownloadedFile[]) => {
                if (instance.dead) return instance.hang();
                config.trace.note(`${config.name}: the app saves a group of ${group.length}`);
                for (const file of group) saveOne(file);
              },
            }
          : {}),
        async applyDeletions(entries: IndexEntry[]) {
          if (instance.dead) return instance.hang();
          for (const entry of entries) {
            config.trace.note(
              `${config.name}: the app deletes ${entry.fileUUID.slice(0, 8)} v${entry.version} (a deletion from the server)`,
            );
            record.deleted.push({ fileUUID: entry.fileUUID, version: entry.version, epoch });
            files.delete(entry.fileUUID);
          }
          instance.lastDeletions = entries.map((entry) => entry.fileUUID);
        },
        resolveConflict: async (conflict) => {
          if (instance.dead) return instance.hang();
          const resolution: ConflictResolution = this.config.rng.chance(0.5) ? "keep-local" : "accept-remote";
          record.conflicts.push({ conflict, resolution });
          this.config.trace.note(
            `${this.name}: conflict on ${conflict.fileUUID.slice(0, 8)} (local ${conflict.local}, remote v${conflict.remote.version}${conflict.remote.deleted ? " deleted" : ""}): ${resolution}`,
          );
          return resolution;
        },
      },
      engine: {
        transferRetryDelays: [],
        pollMs: 50,
        lockRetryMaxMs: 200,
        backoff,
        random: () => engineJitter.float(),
        atPersistencePoint: (point) => this.atPersistencePoint(instance, point),
      },
      outbox: { backoff, random: () => outboxJitter.float() },
    });
    instance.client = client;
    const alive =
      <E>(listener: (event: E) => void) =>
      (event: E) => {
        if (!instance.dead) listener(event);
      };
    client.on(
      "singleDownloadComplete",
      alive((event) => {
        if (broken(4) && !this.missedDownloadComplete) return void (this.missedDownloadComplete = true);
        record.singleDownloadComplete.push(event);
      }),
    );
    client.on(
      "deletionsApplied",
      alive((event) => record.deletionsApplied.push(...event.fileUUIDs)),
    );
    client.on(
      "singleUploadComplete",
      alive((event) => record.singleUploadComplete.push(event)),
    );
    client.on(
      "modeChanged",
      alive((event) => {
        if (event.mode === "nonRecoverableError" || event.mode === "internalError") {
          record.errorModes.push(`${event.mode}: ${event.error?.message ?? ""}`);
          this.config.trace.note(`${this.name}: ${event.mode} (${event.error?.message ?? "no error"})`);
        }
      }),
    );
    if (this.offline) client.setOnline(false);
    this.current = instance;
  }

  /** The engine reached a persistence point: the armed kill or pause strikes there. */
  private atPersistencePoint(instance: ClientInstance, point: ClientCrashPoint): void | Promise<void> {
    if (instance.dead) return instance.hang();
    if (instance !== this.current || instance.closing) return;
    if (point === "lock.granted") this.lockGrants++;
    const kill = this.armedKill;
    if (kill?.point === point && kill.skip-- === 0) {
      this.armedKill = undefined;
      return this.kill(instance, point, kill);
    }
    const pause = this.armedPause;
    if (pause && point === "lock.granted") {
      this.armedPause = undefined;
      return this.freeze(pause);
    }
  }

  /** Kills the client instance at the (skip+1)-th time its engine reaches `point`. */
  armKill(point: ClientCrashPoint, skip: number, killed: () => void): void {
    this.armedKill = { point, skip, killed };
  }

  /** Freezes the client instance (engine and network) the next time it is granted the lock, for pauseMs. */
  armPause(pause: ArmedPause): void {
    this.armedPause = pause;
  }

  /** Settle: no more kills or pauses; waits for a relaunch after a kill. */
  stopClientFaults(): Promise<void> {
    this.armedKill = undefined;
    this.armedPause = undefined;
    return this.ready();
  }

  /** Resolves once no relaunch after a kill is running: steps on the device wait for it. */
  ready(): Promise<void> {
    return this.relaunching;
  }

  private kill(instance: ClientInstance, point: ClientCrashPoint, kill: ArmedKill): Promise<never> {
    instance.kill();
    this.proxy.cutAll();
    this.killedInstances.push(instance);
    const swallowed = this.recordSwallowedEvents(instance, point);
    this.config.trace.note(
      `${this.name}: client killed at ${point} (as by SIGKILL)${swallowed ? `, which swallowed ${swallowed}` : ""}; the app relaunches`,
    );
    kill.killed();
    this.relaunching = (async () => {
      await this.open();
      this.config.trace.note(`${this.name}: relaunched (client #${this.epoch}) over the same store`);
    })();
    return instance.hang();
  }

  /**
   * The events the engine emits right after the commit a kill followed are
   * lost with the process: an app cannot hear them. The invariants then take
   * what they would have told from the store (the app's own saves and
   * deletions, the batch just finished), so they still check it against the
   * server. Returns what was swallowed, for the trace.
   */
  private recordSwallowedEvents(instance: ClientInstance, point: ClientCrashPoint): string | null {
    const { record } = this;
    if (point === "download.fileAcknowledged") {
      // Every file of the acknowledging commit: a group handed to saveDownloads is acknowledged in one.
      const swallowed = instance.acknowledged;
      record.singleDownloadComplete.push(...swallowed);
      return `singleDownloadComplete of ${swallowed.map((file) => `${file.fileUUID.slice(0, 8)} v${file.version}`).join(", ")}`;
    }
    if (point === "deletions.applied") {
      record.deletionsApplied.push(...instance.lastDeletions);
      return `deletionsApplied of ${instance.lastDeletions.map((uuid) => uuid.slice(0, 8)).join(", ")}`;
    }
    if (point === "upload.batchFinished" && instance.finishing) {
      const { batch, items } = instance.finishing;
      for (const item of items)
        record.singleUploadComplete.push({
          fileUUID: item.change.fileUUID,
          version: item.version,
          kind: item.change.kind,
          batch,
        });
      return `singleUploadComplete of batch ${batch} (${items.map((item) => `${item.change.kind} ${item.change.fileUUID.slice(0, 8)} v${item.version}`).join(", ")})`;
    }
    return null;
  }

  /**
   * Before each commit, what a kill right after it would swallow: the files a
   * commit that clears downloads takes as held, and the batch a commit
   * finishes (beingUploaded cleared, engine.outbound removed).
   */
  private async noteCommit(instance: ClientInstance, base: ClientStore, changes: StoreChange[]): Promise<void> {
    if (changes.some((change) => change.op === "delete" && change.collection === "beingDownloaded")) {
      instance.acknowledged = changes.flatMap((change) =>
        change.op === "put" && change.collection === "files" && change.value.version !== null
          ? [{ fileUUID: change.value.fileUUID, version: change.value.version }]
          : [],
      );
    }
    const finishes =
      changes.some((change) => change.op === "clear" && change.collection === "beingUploaded") &&
      changes.some(
        (change) => change.op === "delete" && change.collection === "meta" && change.key === "engine.outbound",
      );
    if (!finishes) return;
    const state = await base.get("meta", "engine.outbound");
    const items = (await base.list("beingUploaded")).map((entry) => entry.value);
    instance.finishing = state ? { batch: state.batch, items } : null;
  }

  /** Frozen holding the lock: the engine waits here and its network holds every byte, for pauseMs. */
  private async freeze(pause: ArmedPause): Promise<void> {
    pause.frozen();
    this.config.trace.note(
      `${this.name}: frozen for ${pause.pauseMs} ms holding the lock (as by SIGSTOP: engine and network stalled); the user's other devices sync`,
    );
    const grantsBefore = new Map(pause.others.map((other) => [other, other.lockGrants]));
    for (const other of pause.others) other.startSync();
    await Promise.all([this.proxy.stall(pause.pauseMs), sleep(pause.pauseMs)]);
    const takenOverBy =
      pause.others.find((other) => other.lockGrants > (grantsBefore.get(other) ?? other.lockGrants))?.name ?? null;
    this.config.trace.note(
      `${this.name}: thawed; ${takenOverBy ? `its lease expired and ${takenOverBy} took the lock over meanwhile` : "nobody took the lock over meanwhile"}`,
    );
    pause.thawed(takenOverBy);
  }

  /**
   * Runs an app call on the client. If that client is killed before the call
   * returns, the app, relaunched, makes the call again on the new client
   * (`redo`): it did not hear how the first one ended.
   */
  async call<T>(use: (client: SmsyncClient, redo: boolean) => Promise<T>): Promise<T> {
    for (let redo = false; ; redo = true) {
      await this.ready();
      const instance = this.current;
      const outcome = await Promise.race([use(instance.client, redo).then((value) => ({ value })), instance.died]);
      if (outcome) return outcome.value;
      this.config.trace.note(`${this.name}: the app makes the call the kill interrupted again`);
    }
  }

  /** The app deletes a file. Made again after a kill, "already deleted" or "unknown file" means the first call had queued it. */
  deleteFile(fileUUID: string): Promise<void> {
    return this.call(async (client, redo) => {
      try {
        await client.deleteFile(fileUUID);
      } catch (error) {
        if (!(
          redo &&
          error instanceof ClientUsageError &&
          (error.code === "ALREADY_DELETED" || error.code === "UNKNOWN_FILE")
        ))
          throw error;
      }
    });
  }

  /** Starts a sync pass in the background; settle, or the device's next local change, awaits its end. */
  startSync(): void {
    this.background(this.call((client) => client.sync()));
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
      await Promise.race([
        Promise.all([...this.running]),
        new Promise((resolve) => setTimeout(resolve, Math.min(left, 2 ** 31 - 1)).unref()),
      ]);
    }
    return true;
  }

  /** Closes the client (the store stays) and opens a new one, as an app relaunched. */
  async relaunch(): Promise<void> {
    await this.ready();
    const old = this.current;
    old.closing = true;
    await old.client.close({ closeStore: this.config.sqliteStore });
    await this.awaitSync();
    await this.open();
  }

  async close(): Promise<void> {
    this.armedKill = undefined;
    this.armedPause = undefined;
    // The run is over and checked: what fails now is told in the trace, and the next device closes all the same.
    const noted = (what: string) => (error: unknown) =>
      this.config.trace.note(`${this.name}: ${what} failed at the run's end: ${messageOf(error)}`);
    await this.ready().catch(noted("opening"));
    this.current.closing = true;
    await this.client.close({ closeStore: true }).catch(noted("closing the client"));
    await this.awaitSync().catch(noted("its last sync"));
    const note = (line: string) => this.config.trace.note(`${this.name}: ${line}`);
    for (const dead of this.killedInstances) await dead.bury(this.config.sqliteStore, note);
    await this.proxy.close();
  }
}
