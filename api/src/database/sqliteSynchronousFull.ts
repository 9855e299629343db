// Every connection the server opens on its SQLite file commits with
// synchronous=FULL. In WAL mode better-sqlite3's compile-time default,
// NORMAL, fsyncs the WAL only at checkpoints: a commit survives a crash of
// the process but not a power loss, and the server answers as soon as a
// transaction commits. FULL fsyncs the WAL at every commit, so what an
// answer or an event reports is on disk before it is sent. The setting is
// read back: a connection that does not take it refuses to open.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { cacheStatements } from "./sqliteStatementCache.ts";

type SqliteDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

/** SQLite's numbers for the `synchronous` pragma; EXTRA is FULL and more. */
const synchronousFull = 2;

/** The server's database would acknowledge commits that a power loss can undo. */
export class DatabaseNotDurableError extends Error {
  override readonly name = "DatabaseNotDurableError";
}

/** Sets synchronous=FULL on the connection, and throws if it does not read back as FULL (or EXTRA). */
export function requireSynchronousFull(connection: BetterSqlite3.Database): void {
  connection.pragma("synchronous = FULL");
  const level = Number(connection.pragma("synchronous", { simple: true }));
  if (level < synchronousFull) {
    throw new DatabaseNotDurableError(
      `SQLite keeps synchronous=${level} on ${connection.name} instead of FULL (2): its commits would not survive a power loss`,
    );
  }
}

/** The better-sqlite3 connection inside a connected Prisma adapter. */
export function connectionOf(adapter: SqliteDriverAdapter): BetterSqlite3.Database {
  // The adapter keeps its better-sqlite3 connection as `client`; it offers no option for pragmas.
  const connection = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
  if (typeof connection?.pragma !== "function") {
    throw new Error(
      "@prisma/adapter-better-sqlite3 no longer keeps its connection as `client`: update sqliteSynchronousFull.ts",
    );
  }
  return connection;
}

/** Prisma's better-sqlite3 adapter on connections that commit with synchronous=FULL (and reuse their statements). */
export class PrismaBetterSQLite3Durable extends PrismaBetterSQLite3 {
  /** The connection once Prisma has connected (for raw reads that skip Prisma: sqliteRaw.ts). */
  connection: BetterSqlite3.Database | null = null;

  override async connect(): Promise<SqliteDriverAdapter> {
    const adapter = await super.connect();
    const connection = connectionOf(adapter);
    requireSynchronousFull(connection);
    cacheStatements(connection);
    this.connection = connection;
    return adapter;
  }
}
