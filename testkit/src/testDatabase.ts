// A fresh database for one test server: a SQLite file in the test's
// directory, or (SMSYNC_TEST_DATABASE=postgresql) a new PostgreSQL database
// on the local server, dropped afterwards.
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";

export const testProvider = process.env.SMSYNC_TEST_DATABASE === "postgresql" ? "postgresql" : "sqlite";
const postgresAdminUrl = process.env.SMSYNC_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(dir: string): Promise<TestDatabase> {
  if (testProvider === "sqlite") {
    return { url: `file:${path.join(dir, "smsync.db")}`, drop: () => Promise.resolve() };
  }
  const name = `smsync_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
