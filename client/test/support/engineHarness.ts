// For the engine's tests: a real server, and SmsyncClients of its users'
// devices, each with its own store and work folder, whose app callbacks
// record what they were given (the bytes of each saved download, each
// deletion) so a test can assert on what the app received.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AppOverrides } from "../../../api/src/app.ts";
import type { TestGraphQLClient } from "../../../api/test/support/graphqlClient.ts";
import { startTestServer, type TestServer } from "../../../api/test/support/testServer.ts";
import { SmsyncClient, type SmsyncClientOptions } from "../../src/SmsyncClient.ts";
import type { ConflictResolution, DownloadedFile } from "../../src/engine/SyncEngine.ts";
import type { Conflict, IndexEntry } from "../../src/engine/planDownloads.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { ClientStore } from "../../src/store/ClientStore.ts";

/** What a device's app was handed by its callbacks. */
export interface AppRecord {
  saved: { file: DownloadedFile; bytes: Buffer }[];
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

export interface EngineHarness {
  server: TestServer;
  dir: string;
  /** A new user; returns its first device's raw client (and userName). */
  newUser(): Promise<TestGraphQLClient & { userName: string }>;
  newDevice(userName: string): Promise<TestGraphQLClient>;
  /** An SmsyncClient for a device token, over the given store (default a new MemoryStore). */
  openClient(raw: TestGraphQLClient, options?: { store?: ClientStore; workDir?: string; app?: AppRecord; serverUrl?: string; resolveConflict?: (conflict: Conflict) => ConflictResolution; beforeApplyDeletions?: (files: IndexEntry[]) => Promise<void>; beforeSaveDownload?: (file: DownloadedFile) => Promise<void> }): Promise<TestDevice>;
  /** A file with this content in the harness's folder. */
  writeFile(content: Buffer | string): string;
  close(): Promise<void>;
}

/** `serverEnvironment`: overrides of the server's environment (e.g. SMSYNC_LOCK_TTL_SECONDS). */
export async function startEngineHarness(serverEnvironment: Record<string, string> = {}, appOverrides: AppOverrides = {}): Promise<EngineHarness> {
  const server = await startTestServer(serverEnvironment, appOverrides);
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-engine-"));
  const clients: SmsyncClient[] = [];
  return {
    server,
    dir,
    newUser: () => server.newUser(),
    newDevice: (userName) => server.newDevice(userName),
    async openClient(raw, options = {}) {
      const store = options.store ?? new MemoryStore();
      const workDir = options.workDir ?? path.join(dir, `work-${randomUUID()}`);
      mkdirSync(workDir, { recursive: true });
      const app: AppRecord = options.app ?? { saved: [], deleted: [], conflicts: [] };
      const resolveConflict = options.resolveConflict;
      const clientOptions: SmsyncClientOptions = {
        serverUrl: options.serverUrl ?? server.url,
        token: raw.token!,
        store,
        workDir,
        callbacks: {
          async saveDownload(file) {
            await options.beforeSaveDownload?.(file);
            app.saved.push({ file, bytes: readFileSync(file.path) });
          },
          async applyDeletions(files) {
            await options.beforeApplyDeletions?.(files);
            app.deleted.push(files);
          },
          ...(resolveConflict
            ? {
                async resolveConflict(conflict: Conflict) {
                  app.conflicts.push(conflict);
                  return resolveConflict(conflict);
                },
              }
            : {}),
        },
        engine: { transferRetryDelays: [], pollMs: 50, lockRetryMaxMs: 200, backoff: { initialMs: 100, maxMs: 1000 } },
        outbox: { backoff: { initialMs: 100, maxMs: 1000 } },
      };
      const client = await SmsyncClient.open(clientOptions);
      clients.push(client);
      return { client, store, app, raw, workDir };
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
