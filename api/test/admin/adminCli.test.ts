// The operator's command, run as a person would: `npm run admin -- ...`
// prints a token that then works against the server.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, assert, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import { openDatabase } from "../../src/database/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import {
  createTestDatabase,
  rowCounts,
  sourceNodeOptions,
  type TestDatabase,
  TestGraphQLClient,
} from "@smsync/testkit";

const apiDir = path.resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(path.join(tmpdir(), "smsync-admin-"));
let database: TestDatabase | undefined;

afterAll(async () => {
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function admin(databaseUrl: string, ...args: string[]) {
  return spawnSync(process.execPath, [...sourceNodeOptions, "src/admin/cli.ts", ...args], {
    cwd: apiDir,
    env: { ...process.env, SMSYNC_DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("npm run admin", () => {
  it("creates users and devices whose tokens work, lists and revokes them", async () => {
    database = await createTestDatabase(dataDir);
    const created = admin(database.url, "add-user", "alice", "--device", "phone");
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/created user alice with device phone/);
    const token = /token: (smsync_\S+)/.exec(created.stdout)?.[1];
    assert.exists(token, created.stdout);
    const laptop = admin(database.url, "add-device", "alice", "laptop");
    expect(laptop.status).toBe(0);
    expect(admin(database.url, "list-users").stdout).toMatch(/alice\tlaptop, phone/);

    // Refused commands write nothing.
    const db = openDatabase(database.url);
    try {
      const before = await rowCounts(db);
      const duplicate = admin(database.url, "add-user", "alice");
      expect(duplicate.status).toBe(1);
      expect(duplicate.stderr).toMatch(/already exists/);
      expect(admin(database.url, "frobnicate").status).toBe(2);
      expect(await rowCounts(db)).toEqual(before);
    } finally {
      await db.$disconnect();
    }

    const config = loadConfig({
      SMSYNC_PORT: "0",
      SMSYNC_DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      SMSYNC_LOG_LEVEL: "silent",
    });
    const app = await startApp(config, createLogger("silent"));
    try {
      const client = new TestGraphQLClient(app.url, token);
      expect((await client.lock()).fencingToken).toBe(1);
      expect(admin(database.url, "revoke-device", "alice", "phone").stdout).toMatch(/revoked 1 token/);
      const before = await rowCounts(app.services.db);
      expect(await client.errorCode(`{ fileIndex { eventSeq } }`)).toBe("UNAUTHENTICATED");
      expect(await rowCounts(app.services.db)).toEqual(before);
    } finally {
      await app.close();
    }
  });
});
