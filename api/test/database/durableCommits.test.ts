// The server's commits are durable before it answers: on SQLite both of its
// connections commit with synchronous=FULL (a connection that does not take
// it refuses to open, and the server to start); on PostgreSQL, fsync or
// synchronous_commit turned off is warned about at start.
import type BetterSqlite3 from "better-sqlite3";
import pino from "pino";
import {
  PrismaBetterSQLite3Durable,
  DatabaseNotDurableError,
  requireSynchronousFull,
  connectionOf,
} from "../../src/database/sqliteSynchronousFull.ts";
import { openDatabase, sqliteFilePath } from "../../src/database/client.ts";
import { checkDurableCommits } from "../../src/database/durableCommits.ts";
import type { Logger } from "../../src/logging/logger.ts";
import { describe, expect, it } from "vitest";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { matchers, testProvider } from "@smsync/testkit";

const fixture = useMigratedTestDatabase("smsync-durable-commits-");

/** A logger that keeps its records. */
function recordingLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, records };
}

const isWarning = (record: Record<string, unknown>) => record.level === 40;

describe.skipIf(testProvider !== "sqlite")("SQLite commits with synchronous=FULL", () => {
  it("the writer connection (raw statements and transactions) runs with FULL", async () => {
    const [{ synchronous }] = await fixture.db.$queryRawUnsafe<[{ synchronous: bigint }]>("PRAGMA synchronous");
    expect(Number(synchronous)).toBe(2);
    await fixture.db.$transaction(async (tx) => {
      const [inside] = await tx.$queryRawUnsafe<[{ synchronous: bigint }]>("PRAGMA synchronous");
      expect(Number(inside.synchronous)).toBe(2);
    });
  });

  it("the read-only connection runs with FULL too", async () => {
    const adapter = await new PrismaBetterSQLite3Durable({
      url: sqliteFilePath(fixture.url),
      readonly: true,
    }).connect();
    try {
      expect(Number(connectionOf(adapter).pragma("synchronous", { simple: true }))).toBe(2);
    } finally {
      await adapter.dispose();
    }
  });

  it("passes the start check", async () => {
    const { logger, records } = recordingLogger();
    await checkDurableCommits(fixture.db, fixture.url, logger);
    expect(records.filter(isWarning)).toEqual([]);
  });

  it("refuses a connection on which the setting does not hold", () => {
    // A build of SQLite that ignores the pragma: what it reads back is NORMAL.
    const stubborn = {
      name: "/data/smsync.db",
      pragma: (source: string) => (source.includes("=") ? [] : 1),
    } as unknown as BetterSqlite3.Database;
    expect(() => requireSynchronousFull(stubborn)).toThrow(DatabaseNotDurableError);
    expect(() => requireSynchronousFull(stubborn)).toThrow(/synchronous=1 on \/data\/smsync.db instead of FULL/);
  });
});

describe.skipIf(testProvider !== "postgresql")("PostgreSQL's durability settings", () => {
  it("a server whose PostgreSQL has synchronous_commit off starts, with a warning naming the setting", async () => {
    const url = new URL(fixture.url);
    url.searchParams.set("options", "-c synchronous_commit=off");
    const db = openDatabase(url.toString());
    try {
      const { logger, records } = recordingLogger();
      await checkDurableCommits(db, url.toString(), logger);
      expect(records.filter(isWarning)).toEqual([
        matchers.objectContaining({
          settings: matchers.objectContaining({ synchronous_commit: "off" }),
          msg: matchers.stringMatching(/synchronous_commit off/),
        }),
      ]);
    } finally {
      await db.$disconnect();
    }
  });

  it("the default settings pass without a warning", async () => {
    const { logger, records } = recordingLogger();
    await checkDurableCommits(fixture.db, fixture.url, logger);
    expect(records.filter(isWarning)).toEqual([]);
  });
});
