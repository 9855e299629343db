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
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { executeSqliteRaw, querySqliteRaw } from "./sqliteRaw.ts";
import { chunksOf, rowsPerInsert } from "./statementChunks.ts";

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

/**
 * Multi-row INSERTs of `rows` into `table` (a model's name), chunked under
 * the parameter limit: what createMany does, without its query compiler,
 * whose plan for a statement of many rows costs milliseconds of CPU. The
 * columns are every key any row has (null where a row lacks one); a column
 * no row names takes its database default, so a row must name what Prisma
 * fills in itself (@default(uuid()), @updatedAt) and a time it should store
 * as Prisma does (the database's own now() is stored in another form).
 */
export async function insertRows(
  tx: RawTransaction,
  table: string,
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (columns.length === 0) return;
  const head = Prisma.raw(`INSERT INTO "${table}" (${columns.map((column) => `"${column}"`).join(", ")}) VALUES `);
  for (const chunk of chunksOf(rows, rowsPerInsert(columns.length))) {
    const values = chunk.map((row) => Prisma.sql`(${Prisma.join(columns.map((column) => row[column] ?? null))})`);
    await executeInTransaction(tx, Prisma.sql`${head}${Prisma.join(values)}`);
  }
}
