// One Prisma client type for both providers. The two generated clients come
// from the same models (prisma/models.prisma), so the PostgreSQL one is used
// through the SQLite one's type.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient } from "../generated/prisma-sqlite/client.ts";
import { PrismaClient as PostgresClient } from "../generated/prisma-postgresql/client.ts";

export type Database = SqliteClient;
export type Transaction = Parameters<Parameters<Database["$transaction"]>[0]>[0];
export type DatabaseProvider = "sqlite" | "postgresql";

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

export function openDatabase(databaseUrl: string): Database {
  if (providerOf(databaseUrl) === "sqlite") {
    const adapter = new PrismaBetterSQLite3({ url: sqliteFilePath(databaseUrl), timeout: 10_000 });
    return new SqliteClient({ adapter, transactionOptions });
  }
  const adapter = new PrismaPg({ connectionString: databaseUrl });
  return new PostgresClient({ adapter, transactionOptions }) as unknown as Database;
}
