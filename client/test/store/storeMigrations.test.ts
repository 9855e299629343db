// Stores written by an older SDK, opened by this one: the fixture of schema
// version 1 (test/fixtures/README.md) migrated on open, in SQLite and in
// IndexedDB (fake-indexeddb here; Chromium in test/browser), and read back
// record for record; a migration that meets a corrupted record leaves the
// store as it was.
import "fake-indexeddb/auto";
import Database from "better-sqlite3";
import { IDBFactory } from "fake-indexeddb";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collections, StoreRecordError, type ClientStore, type Collection } from "../../src/store/ClientStore.ts";
import { IndexedDbStore } from "../../src/store/IndexedDbStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { currentSchemaVersion, migrations } from "../../src/store/migrations.ts";
import { SqliteStore } from "../../src/store/SqliteStore.ts";
import { collectionsV1, writeIndexedDbV1, type FixtureRow } from "../support/storeFixtureV1.ts";

const fixture = path.join(import.meta.dirname, "../fixtures/clientStore-v1.sqlite");
const directory = mkdtempSync(path.join(tmpdir(), "smsync-store-migrations-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function readRows(file: string): FixtureRow[] {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare("SELECT collection, key, value FROM entries ORDER BY collection, key").all() as FixtureRow[];
  db.close();
  return rows;
}

const rows = readRows(fixture);
let copies = 0;

/** A copy of the fixture to open (opening migrates it in place), with `changed` rows written over it. */
function fixtureCopy(changed: FixtureRow[] = []): string {
  const file = path.join(directory, `v1-${++copies}.sqlite`);
  copyFileSync(fixture, file);
  const db = new Database(file);
  for (const row of changed)
    db.prepare("INSERT OR REPLACE INTO entries (collection, key, value) VALUES (?, ?, ?)").run(
      row.collection,
      row.key,
      row.value,
    );
  db.close();
  return file;
}

/** What version 2 reads from each row of version 1: the same value, but engine.outbound gains `resumes: 0`. */
function expectedValue(row: FixtureRow): unknown {
  const value = JSON.parse(row.value) as unknown;
  return row.collection === "meta" && row.key === "engine.outbound"
    ? { ...(value as Record<string, unknown>), resumes: 0 }
    : value;
}

async function expectFixtureRead(store: ClientStore): Promise<void> {
  const listed: FixtureRow[] = [];
  for (const collection of collections) {
    for (const entry of await store.list(collection))
      listed.push({ collection, key: entry.key, value: JSON.stringify(entry.value) });
  }
  // Every row, and nothing else, each read as it was written (zod keeps every field of today's records).
  expect(listed.map(({ collection, key }) => `${collection}/${key}`).sort()).toEqual(
    rows.map(({ collection, key }) => `${collection}/${key}`).sort(),
  );
  for (const row of rows) {
    expect(await store.get(row.collection as Collection, row.key as never), `${row.collection}/${row.key}`).toEqual(
      expectedValue(row),
    );
  }
  const outbound = await store.get("meta", "engine.outbound");
  expect(outbound?.resumes).toBe(0);
  expect(outbound?.batch).toBe(2);
  expect((await store.get("files", "f2"))?.heldBeforeKeepLocal?.version).toBe(4);
}

describe("the schema", () => {
  it("has a migration to every version after 1, in order, up to the current one", () => {
    expect(migrations.map((migration) => migration.to)).toEqual(
      Array.from({ length: currentSchemaVersion - 1 }, (_, i) => i + 2),
    );
  });

  it("keeps the collections of version 1 (a new one needs its object store in IndexedDB)", () => {
    expect([...collections]).toEqual(collectionsV1);
  });

  it("a MemoryStore starts at the current version", () => {
    expect(new MemoryStore().schemaVersion).toBe(currentSchemaVersion);
  });
});

describe("SqliteStore opening a store of schema version 1", () => {
  it("migrates it to the current version and reads every record", async () => {
    expect(rows.length).toBeGreaterThanOrEqual(collectionsV1.length);
    const file = fixtureCopy();
    const store = await SqliteStore.open(file);
    expect(store.schemaVersion).toBe(currentSchemaVersion);
    await expectFixtureRead(store);
    await store.close();

    // Migrated once: opened again, the same.
    const again = await SqliteStore.open(file);
    await expectFixtureRead(again);
    await again.close();
  });

  it("leaves the file at version 1, unchanged, when a record the migration reads is corrupted", async () => {
    const corrupted = { collection: "meta", key: "engine.outbound", value: '{"batch":2,' };
    const file = fixtureCopy([corrupted]);
    const opening = SqliteStore.open(file);
    await expect(opening).rejects.toThrow(StoreRecordError);
    await expect(opening).rejects.toMatchObject({ code: "STORE_RECORD", collection: "meta", key: "engine.outbound" });
    const db = new Database(file, { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(1);
    db.close();
    expect(readRows(file)).toEqual(readRows(fixtureCopy([corrupted])));
  });

  it("opens a store with a corrupted record elsewhere, and refuses that record when read", async () => {
    const file = fixtureCopy([
      {
        collection: "files",
        key: "f1",
        value: JSON.stringify({ ...JSON.parse(rows.find((row) => row.key === "f1")!.value), deleted: "no" }),
      },
    ]);
    const store = await SqliteStore.open(file);
    await expect(store.get("files", "f1")).rejects.toThrow(/"f1" in files is not valid: deleted: /);
    await expect(store.list("files")).rejects.toThrow(StoreRecordError);
    expect((await store.get("files", "f2"))?.version).toBe(5);
    await store.close();
  });
});

describe("IndexedDbStore opening a store of schema version 1", () => {
  it("migrates it to the current version and reads every record", async () => {
    const indexedDB = new IDBFactory();
    await writeIndexedDbV1(indexedDB, "smsync", rows);
    const store = await IndexedDbStore.open("smsync", { indexedDB });
    expect(store.schemaVersion).toBe(currentSchemaVersion);
    await expectFixtureRead(store);
    await store.close();

    const again = await IndexedDbStore.open("smsync", { indexedDB });
    await expectFixtureRead(again);
    await again.close();
  });

  it("leaves the database at version 1 when a record the migration reads is corrupted", async () => {
    const indexedDB = new IDBFactory();
    await writeIndexedDbV1(indexedDB, "smsync", [
      ...rows.filter((row) => row.key !== "engine.outbound"),
      { collection: "meta", key: "engine.outbound", value: "[" },
    ]);
    const opening = IndexedDbStore.open("smsync", { indexedDB });
    await expect(opening).rejects.toThrow(StoreRecordError);
    await expect(opening).rejects.toMatchObject({ collection: "meta", key: "engine.outbound" });
    const versions = await indexedDB.databases();
    expect(versions).toEqual([{ name: "smsync", version: 1 }]);
  });
});
