// A test file's own database (see testDatabase.ts), migrated and opened
// before its tests and dropped after them, in a folder of its own. Apart
// from testDatabase.ts because it registers vitest hooks, and the simulator
// imports that one outside vitest.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { openDatabase, type Database } from "../../src/database/client.ts";
import { migrate } from "../../src/database/migrate.ts";
import { createTestDatabase, type TestDatabase } from "@smsync/testkit";

export interface MigratedTestDatabase {
  /** The folder of the file's data (and of its SQLite file). */
  readonly dir: string;
  readonly url: string;
  readonly db: Database;
}

/** Call at a test file's top level; the fields are set once its tests run. */
export function useMigratedTestDatabase(folderPrefix: string): MigratedTestDatabase {
  let database: TestDatabase | undefined;
  const fixture = {} as { dir: string; url: string; db: Database };
  beforeAll(async () => {
    fixture.dir = mkdtempSync(path.join(tmpdir(), folderPrefix));
    database = await createTestDatabase(fixture.dir);
    fixture.url = database.url;
    await migrate(fixture.url);
    fixture.db = openDatabase(fixture.url);
  });
  afterAll(async () => {
    await fixture.db?.$disconnect();
    await database?.drop();
    if (fixture.dir) rmSync(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
