// Applies the SQL migrations in prisma/<provider>/migrations, each once, in
// order, in a transaction, recorded in smsync_migrations. Used on server
// start and by tests. (Prisma's own `migrate deploy` cannot run through the
// PostgreSQL driver adapter offline; see docs/operations.md.)
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Sqlite from "better-sqlite3";
import { providerOf, sqliteFilePath, type DatabaseProvider } from "./client.ts";
import { requireSynchronousFull } from "./sqliteSynchronousFull.ts";

const prismaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../prisma");

interface Migration {
  name: string;
  sql: string;
}

export function migrationsFor(provider: DatabaseProvider): Migration[] {
  const dir = path.join(prismaDir, provider, "migrations");
  return readdirSync(dir)
    .filter((entry) => /^\d{4}_/.test(entry))
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name, "migration.sql"), "utf8") }));
}

/** Returns the names of the migrations it applied. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const provider = providerOf(databaseUrl);
  const migrations = migrationsFor(provider);
  return provider === "sqlite"
    ? migrateSqlite(sqliteFilePath(databaseUrl), migrations)
    : migratePostgres(databaseUrl, migrations);
}

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  const db = new Sqlite(file, { timeout: 10_000 });
  try {
    // WAL lets the admin command and readers work beside a running server.
    db.pragma("journal_mode = WAL");
    requireSynchronousFull(db);
    db.exec(`CREATE TABLE IF NOT EXISTS smsync_migrations (
      name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
    const isApplied = db.prepare("SELECT 1 FROM smsync_migrations WHERE name = ?");
    const done: string[] = [];
    for (const migration of migrations) {
      // Checked inside the write transaction: another process (the admin
      // command, a second server) may be migrating the same file right now.
      const applied = db
        .transaction(() => {
          if (isApplied.get(migration.name)) return false;
          db.exec(migration.sql);
          db.prepare("INSERT INTO smsync_migrations (name, applied_at) VALUES (?, ?)").run(
            migration.name,
            new Date().toISOString(),
          );
          return true;
        })
        .immediate();
      if (applied) done.push(migration.name);
    }
    return done;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  // Loaded here: a server on SQLite never needs it.
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One migrator at a time across server instances starting together.
    await client.query("SELECT pg_advisory_lock(727383)");
    await client.query(`CREATE TABLE IF NOT EXISTS smsync_migrations (
      name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ name: string }>("SELECT name FROM smsync_migrations");
    const applied = new Set(rows.map((row) => row.name));
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.name)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO smsync_migrations (name) VALUES ($1)", [migration.name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    // Ending the session below releases the lock in any case: an unlock that
    // fails (the connection is gone) changes nothing, and must not hide the
    // migration's own error.
    await client.query("SELECT pg_advisory_unlock(727383)").catch(() => undefined);
    await client.end();
  }
}
