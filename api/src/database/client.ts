// One Prisma client type for both providers. The two generated clients come
// from the same models (prisma/models.prisma), so the PostgreSQL one is used
// through the SQLite one's type.
import { createRequire } from "node:module";
import type { PrismaPg } from "@prisma/adapter-pg";
import type BetterSqlite3 from "better-sqlite3";
import { PrismaBetterSQLite3Immediate } from "./sqliteImmediateTransactions.ts";
import { PrismaBetterSQLite3Durable } from "./sqliteSynchronousFull.ts";
import { querySqliteRaw } from "./sqliteRaw.ts";
import { withWriterConnection } from "./transactionRaw.ts";
import { PrismaClient as SqliteClient, type Prisma } from "../generated/prisma-sqlite/client.ts";

/** The rows of the models, as both providers return them. */
export type { OperationItem, Prisma, StagedUpload } from "../generated/prisma-sqlite/client.ts";
import { PrismaClient as PostgresClient } from "../generated/prisma-postgresql/client.ts";

export type Database = SqliteClient;
export type Transaction = Parameters<Parameters<Database["$transaction"]>[0]>[0];
export type DatabaseProvider = "sqlite" | "postgresql";

/** Where `readOnlyRaw` finds the SQLite reader behind the proxy (openSqlite). */
const readerConnection = Symbol("readerConnection");
/** Where it finds the reader's adapter, whose better-sqlite3 connection it reads on directly. */
const readerAdapter = Symbol("readerAdapter");

/**
 * A raw read (one statement, many tables joined) on the connection that sees
 * only what has committed: the reader on SQLite, the pool on PostgreSQL. Raw
 * SQL skips Prisma's query compiler, which costs more than the query on the
 * hottest paths (each request's token check: one join instead of three
 * queries, about 7 times less CPU). Identifiers in double quotes work on both.
 * On SQLite, once the reader has connected, the statement skips Prisma too
 * (sqliteRaw.ts): its rows then carry SQLite's own types, which the
 * callers normalize as they do PostgreSQL's.
 */
export function readOnlyRaw<T>(db: Database, query: Prisma.Sql): Promise<T[]> {
  const sqlite = (db as unknown as Record<symbol, PrismaBetterSQLite3Durable | undefined>)[readerAdapter]?.connection;
  if (sqlite) {
    try {
      return Promise.resolve(querySqliteRaw<T>(sqlite, query));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  const reader = (db as unknown as Record<symbol, Database | undefined>)[readerConnection] ?? db;
  return reader.$queryRaw<T[]>(query);
}

export function providerOf(databaseUrl: string): DatabaseProvider {
  return databaseUrl.startsWith("file:") ? "sqlite" : "postgresql";
}

export function sqliteFilePath(databaseUrl: string): string {
  return databaseUrl.slice("file:".length);
}

// SQLite runs one transaction at a time (the adapter queues them), so a
// transaction may wait its turn behind a busy worker: wait longer than
// Prisma's 2 s default before giving up.
const transactionOptions = { maxWait: 30_000, timeout: 30_000 };

// The PostgreSQL driver (pg and its Prisma adapter, both CommonJS) is loaded
// synchronously when a PostgreSQL database is opened: a server on SQLite
// never loads it.
const requirePackage = createRequire(import.meta.url);

export function openDatabase(databaseUrl: string): Database {
  if (providerOf(databaseUrl) === "sqlite") return openSqlite(sqliteFilePath(databaseUrl));
  const { PrismaPg: PostgresAdapter } = requirePackage("@prisma/adapter-pg") as { PrismaPg: typeof PrismaPg };
  const adapter = new PostgresAdapter({ connectionString: databaseUrl });
  return new PostgresClient({ adapter, transactionOptions }) as unknown as Database;
}

/**
 * SQLite through two connections. The Prisma adapter has one connection and
 * queues transactions on it; a statement outside a transaction would run in
 * the middle of whichever transaction is open and see its uncommitted rows
 * (an event that is then rolled back, a lock that was never granted). So
 * reads outside transactions go to a second, read-only connection, which in
 * WAL mode sees exactly what has committed; transactions (every write, see
 * CONTRIBUTING.md) and raw statements go to the writer. A write attempted
 * outside a transaction fails on the read-only connection instead of
 * silently joining someone else's transaction. The writer's transactions
 * take the write lock when they begin (sqliteImmediateTransactions.ts), so
 * that another process writing the same file (`npm run admin`) makes them
 * wait instead of fail. Both connections commit with synchronous=FULL
 * (sqliteSynchronousFull.ts). Each transaction knows the writer's
 * connection, on which its hottest statements skip Prisma (transactionRaw.ts).
 */
function openSqlite(file: string): Database {
  const writerAdapter = new PrismaBetterSQLite3Immediate({ url: file, timeout: 10_000 });
  const writer = new SqliteClient({ adapter: writerAdapter, transactionOptions });
  const adapter = new PrismaBetterSQLite3Durable({ url: file, timeout: 10_000, readonly: true });
  const reader = new SqliteClient({ adapter });
  // oxlint-disable-next-line typescript/unbound-method -- compared by identity, never called
  const prismaTransaction = writer.$transaction;
  const transaction = transactionsOn(writer, () => writerAdapter.connection);
  return new Proxy(writer, {
    get(target, property, receiver) {
      if (property === readerConnection) return reader;
      if (property === readerAdapter) return adapter;
      // A test's spy put on $transaction stands in for it.
      if (property === "$transaction" && Reflect.get(target, property) === prismaTransaction) return transaction;
      if (property === "$disconnect") {
        return async () => {
          await Promise.all([target.$disconnect(), reader.$disconnect()]);
        };
      }
      if (typeof property === "string" && !property.startsWith("$") && !property.startsWith("_")) {
        return Reflect.get(reader, property) as unknown;
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** The writer's $transaction, whose interactive transactions know their connection (transactionRaw.ts). */
function transactionsOn(writer: SqliteClient, connection: () => BetterSqlite3.Database | null) {
  const transact = writer.$transaction.bind(writer);
  return ((input: unknown, options?: unknown) =>
    typeof input === "function"
      ? transact(
          (tx) => (input as (tx: Transaction) => Promise<unknown>)(withWriterConnection(tx, connection)),
          options as Parameters<SqliteClient["$transaction"]>[1],
        )
      : transact(
          input as Prisma.PrismaPromise<unknown>[],
          options as Parameters<SqliteClient["$transaction"]>[1],
        )) as SqliteClient["$transaction"];
}
