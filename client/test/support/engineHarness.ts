// For the engine's tests: a real server, and SmsyncClients of its users'
// devices, each with its own store and work folder, whose app callbacks
// record what they were given (the bytes of each saved download, each
// deletion) so a test can assert on what the app received.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { AppOverrides } from "@smsync/api";
import {
  useCuttingProxy,
  startTestServer,
  type CuttingProxy,
  type TestGraphQLClient,
  type TestServer,
} from "@smsync/testkit";
import { SmsyncClient, type SmsyncClientOptions } from "../../src/SmsyncClient.ts";
import type { ConflictResolution, DownloadedFile, EngineTuning } from "../../src/engine/SyncEngine.ts";
import type { Conflict, IndexEntry } from "../../src/engine/planDownloads.ts";
import type { LocalFile } from "../../src/queues/records.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { ClientStore } from "../../src/store/ClientStore.ts";
import { promised } from "../../src/promised.ts";
import type { Clock } from "../../src/time/clock.ts";

/** What a device's app was handed by its callbacks. */
export interface AppRecord {
  saved: { file: DownloadedFile; bytes: Buffer }[];
  /** The fileUUIDs of each saveDownloads call, when the app has that callback (`saveDownloads` option). */
  groups?: string[][];
  deleted: IndexEntry[][];
  conflicts: Conflict[];
}

export interface TestDevice {
  client: SmsyncClient;
  store: ClientStore;
  app: AppRecord;
  /** The raw GraphQL client of the device (its token in .token). */
  raw: TestGraphQLClient;
  workDir: string;
}

export interface OpenClientOptions {
  store?: ClientStore;
  workDir?: string;
  app?: AppRecord;
  serverUrl?: string;
  resolveConflict?: (conflict: Conflict) => ConflictResolution;
  beforeApplyDeletions?: (files: IndexEntry[]) => Promise<void>;
  beforeSaveDownload?: (file: DownloadedFile) => Promise<void>;
  /** Gives the app a saveDownloads callback (small files handed over in groups), recorded in app.saved and app.groups. */
  saveDownloads?: boolean;
  /** The app takes a small file's `bytes` when it has them and never reads its `path` (as the CLI does). */
  takeBytes?: boolean;
  /** Gives the app a heldContent callback: the bytes it returns for a file the device holds (default: none, files come down whole). */
  heldContent?: (file: LocalFile, app: AppRecord) => Uint8Array | null;
  /** The engine's and the outbox's backoff after a network failure (default 100 ms doubling to 1 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** The jitter of both backoffs, in [0, 1) (default Math.random): a fixed one makes each delay a known fraction of its ceiling. */
  random?: () => number;
  /** The clock the engine and the outbox wait on (default the system's): a MovableClock lets the test move past a lease or a backoff. */
  clock?: Clock;
  /** Engine tuning over the harness's (operation polling every 50 ms, no transfer retries, LOCK_HELD waits up to 200 ms). */
  engine?: EngineTuning;
}

export interface EngineHarness {
  server: TestServer;
  dir: string;
  /** A new user; returns its first device's raw client (and userName). */
  newUser(): Promise<TestGraphQLClient & { userName: string }>;
  newDevice(userName: string): Promise<TestGraphQLClient>;
  /** An SmsyncClient for a device token, over the given store (default a new MemoryStore). */
  openClient(raw: TestGraphQLClient, options?: OpenClientOptions): Promise<TestDevice>;
  /** A file with this content in the harness's folder. */
  writeFile(content: Buffer | string): string;
  close(): Promise<void>;
}

/**
 * Call at a test file's top level: a harness started before the file's tests
 * (with startEngineHarness's arguments) and closed after them. Its members
 * are those of the started harness.
 */
export function useEngineHarness(
  serverEnvironment: Record<string, string> = {},
  appOverrides: AppOverrides = {},
): EngineHarness {
  let started: EngineHarness | undefined;
  beforeAll(async () => {
    started = await startEngineHarness(serverEnvironment, appOverrides);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): EngineHarness => {
    if (!started) throw new Error("the engine harness starts before the file's tests: use it inside them");
    return started;
  };
  return {
    get server() {
      return current().server;
    },
    get dir() {
      return current().dir;
    },
    newUser: () => current().newUser(),
    newDevice: (userName) => current().newDevice(userName),
    openClient: (raw, options) => current().openClient(raw, options),
    writeFile: (content) => current().writeFile(content),
    close: () => current().close(),
  };
}

/**
 * useEngineHarness with the cutting proxy in front of its server (a client
 * opened with `serverUrl: proxy.url` goes through it), both started before
 * the file's tests and closed after them.
 */
export function useProxiedEngineHarness(): { harness: EngineHarness; proxy: CuttingProxy } {
  const harness = useEngineHarness();
  const proxy = useCuttingProxy({
    get url() {
      return harness.server.url;
    },
  });
  return { harness, proxy };
}

/** `serverEnvironment`: overrides of the server's environment (e.g. SMSYNC_LOCK_TTL_SECONDS). */
export async function startEngineHarness(
  serverEnvironment: Record<string, string> = {},
  appOverrides: AppOverrides = {},
): Promise<EngineHarness> {
  const server = await startTestServer(serverEnvironment, appOverrides);
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-engine-"));
  const clients: SmsyncClient[] = [];
  return {
    server,
    dir,
    newUser: () => server.newUser(),
    newDevice: (userName) => server.newDevice(userName),
    async openClient(raw, options = {}) {
      const device = await openTestDevice(raw, { ...options, serverUrl: options.serverUrl ?? server.url }, dir);
      clients.push(device.client);
      return device;
    },
    writeFile(content) {
      const file = path.join(dir, `file-${randomUUID()}`);
      writeFileSync(file, content);
      return file;
    },
    async close() {
      for (const client of clients) await client.close({ closeStore: true }).catch(() => undefined);
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An SmsyncClient of a device token against the server at options.serverUrl
 * (for tests whose server is not the harness's, e.g. a server process), with
 * the harness's small backoffs and an app that records what it is handed.
 * The caller closes it.
 */
export async function openTestDevice(
  raw: TestGraphQLClient,
  options: OpenClientOptions & { serverUrl: string },
  dir: string,
): Promise<TestDevice> {
  const store = options.store ?? new MemoryStore();
  const workDir = options.workDir ?? path.join(dir, `work-${randomUUID()}`);
  mkdirSync(workDir, { recursive: true });
  const app: AppRecord = options.app ?? { saved: [], deleted: [], conflicts: [] };
  const resolveConflict = options.resolveConflict;
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 1000 };
  const clientOptions: SmsyncClientOptions = {
    serverUrl: options.serverUrl,
    token: raw.token!,
    store,
    workDir,
    callbacks: {
      async saveDownload(file) {
        await options.beforeSaveDownload?.(file);
        app.saved.push({ file, bytes: readFileSync(file.path) });
      },
      ...(options.saveDownloads
        ? {
            saveDownloads: (files: DownloadedFile[]) =>
              promised(() => {
                (app.groups ??= []).push(files.map((file) => file.fileUUID));
                for (const file of files) {
                  const bytes = options.takeBytes && file.bytes ? Buffer.from(file.bytes) : readFileSync(file.path);
                  app.saved.push({ file, bytes });
                }
              }),
          }
        : {}),
      ...(options.heldContent
        ? { heldContent: (file: LocalFile) => promised(() => options.heldContent!(file, app)) }
        : {}),
      async applyDeletions(files) {
        await options.beforeApplyDeletions?.(files);
        app.deleted.push(files);
      },
      ...(resolveConflict
        ? {
            resolveConflict: (conflict: Conflict) =>
              promised(() => {
                app.conflicts.push(conflict);
                return resolveConflict(conflict);
              }),
          }
        : {}),
    },
    engine: {
      transferRetryDelays: [],
      pollMs: 50,
      lockRetryMaxMs: 200,
      backoff,
      ...(options.random ? { random: options.random } : {}),
      ...options.engine,
    },
    outbox: { backoff, ...(options.random ? { random: options.random } : {}) },
    ...(options.clock ? { clock: options.clock } : {}),
  };
  const client = await SmsyncClient.open(clientOptions);
  return { client, store, app, raw, workDir };
}
