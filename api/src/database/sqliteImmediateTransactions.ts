// Prisma's better-sqlite3 adapter begins its transactions with a plain
// (deferred) BEGIN: the transaction reads from a snapshot and asks for the
// write lock only at its first write. If another process (`npm run admin`,
// a second server on the same file) has committed in between, SQLite cannot
// upgrade the stale snapshot and fails at once with SQLITE_BUSY, which Prisma
// reports as "Operation has timed out". BEGIN IMMEDIATE takes the write lock
// when the transaction begins, so a writer in another process waits for it
// (up to the connection's busy timeout) instead. In this process the adapter
// already runs one transaction at a time, so nothing is lost.
import { connectionOf, PrismaBetterSQLite3Durable } from "./sqliteSynchronousFull.ts";

type SqliteDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3Durable["connect"]>>;

export class PrismaBetterSQLite3Immediate extends PrismaBetterSQLite3Durable {
  override async connect(): Promise<SqliteDriverAdapter> {
    const adapter = await super.connect();
    // The adapter runs `client.prepare("BEGIN")`; it offers no option for the BEGIN mode.
    const connection = connectionOf(adapter);
    const prepare = connection.prepare.bind(connection);
    connection.prepare = (source: string) => prepare(source === "BEGIN" ? "BEGIN IMMEDIATE" : source);
    return adapter;
  }
}
