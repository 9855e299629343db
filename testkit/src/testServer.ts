// A real smsync server for a test: in this process (startTestServer) on
// 127.0.0.1 with its own data directory and database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  addDevice,
  addUser,
  type App,
  type AppOverrides,
  type Config,
  createLogger,
  loadConfig,
  OffsetClock,
  startApp,
} from "@smsync/api";
import { createTestDatabase, type TestDatabase } from "./testDatabase.ts";
import { TestGraphQLClient } from "./graphqlClient.ts";

export interface TestServer {
  app: App;
  url: string;
  dir: string;
  config: Config;
  /**
   * The server's clock: `clock.advance(ms)` moves it past a lease, claim or
   * backoff instead of sleeping (the system time plus an offset).
   */
  clock: OffsetClock;
  /** A new user with one device; returns that device's client. */
  newUser(name?: string): Promise<TestGraphQLClient & { userName: string }>;
  /** Another device of an existing user. */
  newDevice(userName: string, deviceName?: string): Promise<TestGraphQLClient>;
  close(): Promise<void>;
}

let userCounter = 0;

export function testEnvironment(dir: string, databaseUrl: string, overrides: Record<string, string> = {}) {
  return {
    // A test's server is a development one (no public URL, any CORS origin) whatever NODE_ENV the shell has.
    SMSYNC_ENV: "development",
    SMSYNC_HOST: "127.0.0.1",
    SMSYNC_PORT: "0",
    SMSYNC_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    SMSYNC_LOG_LEVEL: process.env.SMSYNC_TEST_LOG_LEVEL ?? "silent",
    SMSYNC_TRANSFER_POLL_MS: "100",
    SMSYNC_TRANSFER_BACKOFF_BASE_MS: "50",
    SMSYNC_TRANSFER_BACKOFF_CAP_MS: "500",
    ...overrides,
  };
}

export async function startTestServer(
  overrides: Record<string, string> = {},
  appOverrides: Omit<AppOverrides, "clock"> = {},
): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-test-"));
  const database: TestDatabase = await createTestDatabase(dir);
  const config = loadConfig(testEnvironment(dir, database.url, overrides));
  const clock = new OffsetClock();
  const app = await startApp(config, createLogger(config.logLevel), { ...appOverrides, clock });
  const url = app.url;
  return {
    app,
    url,
    dir,
    config,
    clock,
    async newUser(name = `user${++userCounter}-${process.pid}`) {
      const created = await addUser(app.services.db, name);
      return Object.assign(new TestGraphQLClient(url, created.token), { userName: name });
    },
    async newDevice(userName, deviceName = `device${++userCounter}`) {
      const created = await addDevice(app.services.db, userName, deviceName);
      return new TestGraphQLClient(url, created.token);
    },
    async close() {
      await app.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
