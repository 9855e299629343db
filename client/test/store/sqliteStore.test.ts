import Database from "better-sqlite3";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StoreSchemaError } from "../../src/store/ClientStore.ts";
import { currentSchemaVersion } from "../../src/store/migrations.ts";
import { SqliteStore } from "../../src/store/SqliteStore.ts";
import { sampleOutboxResult, samplePut } from "../support/sampleRecords.ts";
import { clientStoreContract } from "./clientStoreContract.ts";
import { promised } from "../../src/promised.ts";

const directory = mkdtempSync(path.join(tmpdir(), "smsync-sqlite-store-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let files = 0;
const newFile = () => path.join(directory, `store-${++files}.sqlite`);

clientStoreContract("SqliteStore (file)", async () => {
  const file = newFile();
  return {
    store: await SqliteStore.open(file),
    reopen: () => SqliteStore.open(file),
    writeRaw: (collection, key, json) => promised(() => writeRaw(file, collection, key, json)),
  };
});

/** Writes a row past the store's checks, through a connection of its own. */
function writeRaw(file: string, collection: string, key: string, json: string): void {
  const db = new Database(file);
  db.prepare("INSERT OR REPLACE INTO entries (collection, key, value) VALUES (?, ?, ?)").run(collection, key, json);
  db.close();
}

clientStoreContract("SqliteStore (:memory:)", async () => ({ store: await SqliteStore.open(":memory:") }));

describe("SqliteStore", () => {
  it("writes one table of JSON text, in WAL mode, with its schema version", async () => {
    const file = newFile();
    const store = await SqliteStore.open(file);
    await store.commit([
      { op: "put", collection: "outboxResults", key: "a", value: sampleOutboxResult({ date: new Date(0) }) },
    ]);
    expect(store.schemaVersion).toBe(currentSchemaVersion);
    await store.close();

    const db = new Database(file, { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(currentSchemaVersion);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("encoding", { simple: true })).toBe("UTF-8");
    expect(db.prepare("SELECT collection, key, value FROM entries").all()).toEqual([
      {
        collection: "outboxResults",
        key: "a",
        value: JSON.stringify(sampleOutboxResult({ date: "1970-01-01T00:00:00.000Z" })),
      },
    ]);
    db.close();
  });

  it("refuses a file with a newer schema, leaving it as it was", async () => {
    const file = newFile();
    const newer = new Database(file);
    newer.exec("CREATE TABLE entries_v7 (x)");
    newer.pragma("user_version = 7");
    newer.close();

    const opening = SqliteStore.open(file);
    await expect(opening).rejects.toThrow(StoreSchemaError);
    await expect(opening).rejects.toThrow(new RegExp(`schema 7, newer than this SDK's ${currentSchemaVersion}`));
    await expect(opening).rejects.toMatchObject({ code: "STORE_SCHEMA" });

    const after = new Database(file, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(7);
    expect(after.prepare("SELECT name FROM sqlite_schema").pluck().all()).toEqual(["entries_v7"]);
    after.close();
  });

  it("refuses an SQLite database that is not a client store", async () => {
    const file = newFile();
    const other = new Database(file);
    other.exec("CREATE TABLE users (id INTEGER PRIMARY KEY)");
    other.close();
    await expect(SqliteStore.open(file)).rejects.toThrow(/not an smsync client store/);
  });

  it("refuses a file that is not a database", async () => {
    const file = newFile();
    writeFileSync(file, "not a database\n".repeat(1000));
    await expect(SqliteStore.open(file)).rejects.toThrow(StoreSchemaError);
    await expect(SqliteStore.open(file)).rejects.toThrow(/not an SQLite database/);
  });

  it("refuses a store whose text encoding would change characters", async () => {
    const file = newFile();
    const utf16 = new Database(file);
    utf16.pragma("encoding = 'UTF-16le'");
    utf16.exec(
      "CREATE TABLE entries (collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (collection, key)) STRICT, WITHOUT ROWID",
    );
    utf16.pragma("user_version = 1");
    utf16.close();
    await expect(SqliteStore.open(file)).rejects.toThrow(/UTF-16le, not UTF-8/);
  });

  it("lets two stores open the same file see each other's commits", async () => {
    const file = newFile();
    const [one, two] = await Promise.all([SqliteStore.open(file), SqliteStore.open(file)]);
    await one.commit([{ op: "put", collection: "meta", key: "mode", value: "idle" }]);
    expect(await two.get("meta", "mode")).toBe("idle");
    await Promise.all([one.close(), two.close()]);
  });

  it("rolls back a commit that fails inside its transaction", async () => {
    const file = newFile();
    const store = await SqliteStore.open(file);
    await store.commit([samplePut("files", "a", 1), samplePut("outbox", "1", 1)]);
    // A failure SQLite raises on the last write, after the others ran.
    const db = new Database(file);
    db.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON entries WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END",
    );
    db.close();

    await expect(
      store.commit([
        samplePut("files", "a", 2),
        samplePut("files", "b", 2),
        { op: "clear", collection: "outbox" },
        samplePut("meta", "nextBatch", 2),
        samplePut("tusUploads", "boom", 2),
      ]),
    ).rejects.toThrow(/boom/);
    expect((await store.list("files")).map(({ key, value }) => [key, value.version])).toEqual([["a", 1]]);
    expect((await store.list("outbox")).map(({ key, value }) => [key, value.sequence])).toEqual([["1", 1]]);
    expect(await store.list("meta")).toEqual([]);
    expect(await store.list("tusUploads")).toEqual([]);
    await store.close();
  });
});
