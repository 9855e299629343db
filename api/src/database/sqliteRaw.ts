// Raw statements straight on a better-sqlite3 connection (readOnlyRaw on the
// reader, transactionRaw.ts on the writer): through Prisma a raw statement
// still crosses its client runtime and query compiler (wasm) both ways, which
// cost more than the hottest statements (each request's token check, the
// lock, the event log). The statement is the one Prisma.sql builds for SQLite
// (`?` placeholders); the rows come back as SQLite keeps them: integers as
// bigint (the adapter's safe integers), booleans as 0/1, dates as the
// adapter's ISO text. The callers normalize.
import type BetterSqlite3 from "better-sqlite3";
import type { Prisma } from "../generated/prisma-sqlite/client.ts";

/** A value a raw statement cannot pass to SQLite as Prisma would store it. */
export class UnsupportedRawParameterError extends Error {
  override name = "UnsupportedRawParameterError";
}

/** A parameter as Prisma's SQLite adapter would write it, so that comparisons meet the stored form. */
function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace("Z", "+00:00");
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === null || ["string", "number", "bigint"].includes(typeof value)) return value;
  throw new UnsupportedRawParameterError(`a raw statement cannot pass a parameter of type ${typeof value} to SQLite`);
}

/** The rows of a query, or of a write's RETURNING clause. */
export function querySqliteRaw<T>(connection: BetterSqlite3.Database, query: Prisma.Sql): T[] {
  return connection.prepare(query.sql).all(...query.values.map(sqliteValue)) as T[];
}

/** Runs a write without RETURNING; answers how many rows it changed. */
export function executeSqliteRaw(connection: BetterSqlite3.Database, query: Prisma.Sql): number {
  return connection.prepare(query.sql).run(...query.values.map(sqliteValue)).changes;
}
