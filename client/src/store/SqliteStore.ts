// The client store in SQLite (better-sqlite3), for Node and Electron: one
// table of JSON text by (collection, key). PRAGMA user_version holds the
// schema version (migrations.ts): a file written by an older SDK is migrated
// when opened, one written by a newer SDK refused, not misread.
import Database from "better-sqlite3";
import {
  checkCollection,
  checkKey,
  prepareChanges,
  StoreSchemaError,
  type ClientStore,
  type Collection,
  type EntryOf,
  type KeyIn,
  type SerializedChange,
  type StoreChange,
  type ValueAt,
} from "./ClientStore.ts";
import { currentSchemaVersion, migrationsFrom } from "./migrations.ts";
import { decodeEntry, decodeValue, parsedJson } from "./recordValidation.ts";
import { promised } from "../promised.ts";

// Text stays UTF-8, as JavaScript hands it over: SQLite converting it to
// UTF-16 turns U+FFFE and U+FFFF into U+FFFD. But BINARY collation on UTF-8
// (memcmp) puts U+E000–U+FFFF after the characters above U+FFFF, unlike
// JavaScript's code unit order, so `list` sorts again in JavaScript. The
// rows arrive in order unless keys mix those two ranges, and a sort of
// sorted rows is one pass.
const encoding = "UTF-8";

const createSchema = `
  CREATE TABLE entries (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (collection, key)
  ) STRICT, WITHOUT ROWID`;

export class SqliteStore implements ClientStore {
  private readonly getStatement: Database.Statement<[string, string], string>;
  private readonly listStatement: Database.Statement<[string], { key: string; value: string }>;
  private readonly putStatement: Database.Statement<[string, string, string]>;
  private readonly deleteStatement: Database.Statement<[string, string]>;
  private readonly clearStatement: Database.Statement<[string]>;
  private readonly applyAll: Database.Transaction<(changes: SerializedChange[]) => void>;

  private constructor(private readonly db: Database.Database) {
    this.getStatement = db
      .prepare<[string, string], string>("SELECT value FROM entries WHERE collection = ? AND key = ?")
      .pluck();
    this.listStatement = db.prepare("SELECT key, value FROM entries WHERE collection = ? ORDER BY key");
    this.putStatement = db.prepare(
      "INSERT INTO entries (collection, key, value) VALUES (?, ?, ?) ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value",
    );
    this.deleteStatement = db.prepare("DELETE FROM entries WHERE collection = ? AND key = ?");
    this.clearStatement = db.prepare("DELETE FROM entries WHERE collection = ?");
    this.applyAll = db.transaction((changes: SerializedChange[]) => {
      for (const change of changes) {
        if (change.op === "put") this.putStatement.run(change.collection, change.key, change.json);
        else if (change.op === "delete") this.deleteStatement.run(change.collection, change.key);
        else this.clearStatement.run(change.collection);
      }
    });
  }

  /** Opens (creating if needed) the store in a file, or in memory with ":memory:". */
  static open(path: string): Promise<SqliteStore> {
    return promised(() => {
      const db = new Database(path);
      try {
        const version = prepareDatabase(db, path);
        const store = new SqliteStore(db);
        if (version < currentSchemaVersion) store.migrate(path);
        return store;
      } catch (error) {
        db.close();
        throw error;
      }
    });
  }

  /** The store's schema version (migrations.ts), current once opened. */
  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K): Promise<ValueAt<C, K> | undefined> {
    return promised(() => {
      checkCollection(collection);
      checkKey(collection, key);
      const json = this.getStatement.get(collection, key);
      return json === undefined ? undefined : decodeValue(collection, key, json);
    });
  }

  list<C extends Collection>(collection: C): Promise<EntryOf<C>[]> {
    return promised(() => {
      checkCollection(collection);
      return this.sortedRows(collection).map(({ key, value }) => decodeEntry(collection, key, value));
    });
  }

  private sortedRows(collection: Collection): { key: string; value: string }[] {
    return this.listStatement.all(collection).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Runs the migrations after the file's version, each with its new version in one transaction. */
  private migrate(path: string): void {
    this.db
      .transaction(() => {
        // Another process may have migrated it since we looked.
        const version = this.db.pragma("user_version", { simple: true }) as number;
        for (const migration of migrationsFrom(version, path)) {
          const read = (collection: Collection) =>
            this.sortedRows(collection).map(({ key, value }) => ({ key, value: parsedJson(collection, key, value) }));
          this.applyAll(
            migration.changes(new Map(migration.reads.map((collection) => [collection, read(collection)]))),
          );
          this.db.pragma(`user_version = ${migration.to}`);
        }
      })
      .immediate();
  }

  commit(changes: StoreChange[]): Promise<void> {
    return promised(() => {
      const prepared = prepareChanges(changes);
      // IMMEDIATE takes the write lock at BEGIN: another process holding it
      // makes us wait (busy timeout) instead of failing half-way.
      if (prepared.length > 0) this.applyAll.immediate(prepared);
    });
  }

  close(): Promise<void> {
    return promised(() => {
      this.db.close();
    });
  }
}

/** Creates the schema in a new file, checks an existing one; gives the file's schema version. */
function prepareDatabase(db: Database.Database, path: string): number {
  let version: number;
  try {
    version = db.pragma("user_version", { simple: true }) as number;
  } catch (error) {
    throw new StoreSchemaError(`${path} is not an SQLite database: ${(error as Error).message}`, { cause: error });
  }
  migrationsFrom(version, path); // refuses a newer version
  if (version === 0) {
    const objects = db.prepare("SELECT count(*) FROM sqlite_schema").pluck().get() as number;
    if (objects > 0) throw new StoreSchemaError(`${path} is an SQLite database but not an smsync client store`);
    // Both only take effect on a database not yet written, so before the schema.
    db.pragma(`encoding = '${encoding}'`);
    db.pragma("journal_mode = WAL");
    db.transaction(() => {
      // Another process may have created it since we looked.
      if ((db.pragma("user_version", { simple: true }) as number) !== 0) return;
      db.exec(createSchema);
      db.pragma(`user_version = ${currentSchemaVersion}`);
    }).immediate();
    version = currentSchemaVersion;
  }
  const actual = db.pragma("encoding", { simple: true });
  if (actual !== encoding)
    throw new StoreSchemaError(
      `${path} stores text as ${String(actual)}, not ${encoding}: it would change U+FFFE and U+FFFF`,
    );
  // WAL: a commit is one append to the log, and a reader (the CLI's status
  // beside a running engine) does not block it. synchronous=FULL: WAL's
  // NORMAL survives a killed process but may lose the last commits on power
  // loss, and the engine acts on the server after each commit (a download
  // acknowledged, a mutation sent), so a commit it acted on must not vanish:
  // FULL syncs the log at every commit.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  return version;
}
