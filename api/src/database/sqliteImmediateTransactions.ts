// Prisma's better-sqlite3 adapter begins its transactions with a plain
// (deferred) BEGIN: the transaction reads from a snapshot and asks for the
// write lock only at its first write. If another process (`npm run admin`,
// a second server on the same file) has committed in between, SQLite cannot
// upgrade the stale snapshot and fails at once with SQLITE_BUSY, which Prisma
// reports as "Operation has timed out". BEGIN IMMEDIATE takes the write lock
// when the transaction begins, so a writer in another process waits for it
// (up to the connection's busy timeout) instead. In this process the adapter
// already runs one transaction at a time, so nothing is lost.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";

type SqliteDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

export class PrismaBetterSQLite3Immediate extends PrismaBetterSQLite3 {
  override async connect(): Promise<SqliteDriverAdapter> {
    const adapter = await super.connect();
    // The adapter keeps its better-sqlite3 connection as `client` and runs
    // `client.prepare("BEGIN")`; it offers no option for the BEGIN mode.
    const connection = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
    if (typeof connection?.prepare !== "function") {
      throw new Error("@prisma/adapter-better-sqlite3 no longer keeps its connection as `client`: update sqliteImmediateTransactions.ts");
    }
    const prepare = connection.prepare.bind(connection);
    connection.prepare = ((source: string) => prepare(source === "BEGIN" ? "BEGIN IMMEDIATE" : source)) as typeof connection.prepare;
    return adapter;
  }
}
