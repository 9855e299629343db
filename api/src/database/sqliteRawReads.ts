// readOnlyRaw on SQLite, straight on the reader's better-sqlite3 connection:
// through Prisma a raw query still crosses its client runtime and query
// compiler (wasm) both ways, which cost more than the hottest reads (each
// request's token check, fileIndex, the event log). The statement is the
// one Prisma.sql builds for SQLite (`?` placeholders); the rows come back as
// SQLite keeps them: integers as bigint (the adapter's safe integers),
// booleans as 0/1, dates as the adapter's ISO text. The callers normalize.
import type BetterSqlite3 from "better-sqlite3";
import type { Prisma } from "../generated/prisma-sqlite/client.ts";

/** A value readOnlyRaw cannot pass to SQLite as Prisma would store it. */
export class UnsupportedRawParameterError extends Error {
  override name = "UnsupportedRawParameterError";
}

/** A parameter as Prisma's SQLite adapter would write it, so that comparisons meet the stored form. */
function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace("Z", "+00:00");
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === null || ["string", "number", "bigint"].includes(typeof value)) return value;
  throw new UnsupportedRawParameterError(`readOnlyRaw cannot pass a parameter of type ${typeof value} to SQLite`);
}

export function readSqliteRaw<T>(connection: BetterSqlite3.Database, query: Prisma.Sql): T[] {
  return connection.prepare(query.sql).all(...query.values.map(sqliteValue)) as T[];
}
