// Raw statements inside a transaction, for the statements that nearly every
// request or transfer runs (the lock row, the event log, the idempotency
// record): through Prisma each costs about 0.4 ms of CPU in its client
// runtime and query compiler, many times the statement itself. On SQLite the
// statement runs straight on the writer's better-sqlite3 connection, which
// holds the transaction (the adapter runs one at a time on it); on PostgreSQL
// through the transaction's own $queryRaw. Identifiers in double quotes work
// on both. Rows carry each driver's types (sqliteRaw.ts); the callers
// normalize, as readOnlyRaw's do.
import type BetterSqlite3 from "better-sqlite3";
import type { Prisma } from "../generated/prisma-sqlite/client.ts";
import { executeSqliteRaw, querySqliteRaw } from "./sqliteRaw.ts";

/** Where a transaction on SQLite finds its writer connection (openSqlite tags each transaction). */
const writerConnection = Symbol("writerConnection");

/** What the statements need of a Prisma transaction. */
interface RawTransaction {
  $queryRaw<T = unknown>(query: Prisma.Sql): PromiseLike<T>;
  $executeRaw(query: Prisma.Sql): PromiseLike<number>;
}

/** The transaction client `tx`, telling the statements below which connection holds its transaction. */
export function withWriterConnection<T extends object>(tx: T, connection: () => BetterSqlite3.Database | null): T {
  return new Proxy(tx, {
    get: (target, property) => (property === writerConnection ? connection() : Reflect.get(target, property)),
  });
}

function sqliteConnectionOf(tx: RawTransaction): BetterSqlite3.Database | null {
  const connection = (tx as unknown as Record<symbol, BetterSqlite3.Database | null | undefined>)[writerConnection];
  if (!connection) return null;
  // Outside its transaction a statement would autocommit, or join whichever transaction is open.
  if (!connection.inTransaction) throw new Error("a transaction's raw statement ran after its transaction ended");
  return connection;
}

/** The rows of a SELECT, or of a write's RETURNING clause, inside the transaction. */
export async function queryInTransaction<T>(tx: RawTransaction, query: Prisma.Sql): Promise<T[]> {
  const connection = sqliteConnectionOf(tx);
  return connection ? querySqliteRaw<T>(connection, query) : tx.$queryRaw<T[]>(query);
}

/** Runs a write inside the transaction; answers how many rows it changed. */
export async function executeInTransaction(tx: RawTransaction, query: Prisma.Sql): Promise<number> {
  const connection = sqliteConnectionOf(tx);
  return connection ? executeSqliteRaw(connection, query) : tx.$executeRaw(query);
}
