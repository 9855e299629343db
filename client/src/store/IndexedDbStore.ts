// The client store in IndexedDB (through idb), for browsers: one object
// store per collection, values as JSON text under out-of-line string keys.
//
// One object store per collection rather than one store keyed by
// [collection, key]: `clear` is the store's own clear(), `list` is getAll()
// in the store's key order (IndexedDB compares strings by code unit, as
// JavaScript does). The database version is the schema version
// (migrations.ts): opening an older database runs the migrations in the
// upgrade's transaction, which commits them with the new version or none of
// them. Values are JSON text, not structured clones, so
// they have the same semantics here as in SQLite and memory (a Date comes
// back as its ISO string, not as a Date).
//
// idb recognizes IndexedDB objects by the global constructors (IDBRequest,
// IDBDatabase...): in Node, install them first (fake-indexeddb/auto).
import { wrap, type IDBPDatabase, type IDBPTransaction } from "idb";
import {
  checkCollection,
  checkKey,
  collections,
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
import { currentSchemaVersion, migrationsFrom, type StoredJsonEntry } from "./migrations.ts";
import { decodeEntry, decodeValue, parsedJson } from "./recordValidation.ts";

/** What the store uses of an object store, in a read-write transaction or in an upgrade. */
interface WritableStore {
  put(json: string, key: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  clear(): Promise<unknown>;
}

interface ReadableStore {
  getAllKeys(): Promise<IDBValidKey[]>;
  getAll(): Promise<unknown[]>;
}

export interface IndexedDbStoreOptions {
  /** The IndexedDB to use; the global `indexedDB` by default. */
  indexedDB?: IDBFactory;
}

export class IndexedDbStore implements ClientStore {
  /** Why the browser closed the connection under us, if it did. */
  private closedBecause: string | null = null;

  private constructor(private readonly db: IDBPDatabase) {
    // Another tab opening a newer version of the app waits until every
    // older connection closes: close ours rather than block its upgrade.
    db.addEventListener("versionchange", () => {
      this.closedBecause = "another tab is upgrading or deleting the store";
      db.close();
    });
    db.addEventListener("close", () => {
      this.closedBecause ??= "the browser closed the store (deleted, or storage cleared)";
    });
  }

  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    const factory = options.indexedDB ?? globalThis.indexedDB;
    if (!factory) throw new TypeError("no IndexedDB here: pass options.indexedDB");
    const request = factory.open(name, currentSchemaVersion);
    let migrationFailure: { error: unknown } | undefined;
    request.addEventListener("upgradeneeded", (event) => {
      const db = request.result;
      for (const collection of collections) {
        if (!db.objectStoreNames.contains(collection)) db.createObjectStore(collection);
      }
      // A new database is created at the current version: nothing to migrate.
      if (event.oldVersion === 0) return;
      const upgrade = wrap(request.transaction!) as unknown as IDBPTransaction<unknown, string[], "versionchange">;
      migrate(upgrade, event.oldVersion, `IndexedDB ${name}`).catch((error: unknown) => {
        migrationFailure = { error };
        // The open request fails with the abort, and reports migrationFailure;
        // the transaction's own rejection is that abort.
        upgrade.done.catch(() => undefined);
        upgrade.abort();
      });
    });
    try {
      const db = await wrap(request);
      if (!db) throw new Error(`opening IndexedDB ${name} gave no database`);
      return new IndexedDbStore(db);
    } catch (error) {
      if (migrationFailure) throw migrationFailure.error;
      if ((error as Error | null)?.name === "VersionError") {
        throw new StoreSchemaError(
          `IndexedDB ${name} has a client store schema newer than this SDK's ${currentSchemaVersion}: update the app`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /** The store's schema version (migrations.ts), current once opened. */
  get schemaVersion(): number {
    return this.db.version;
  }

  /** The IndexedDB database's name (the browser client keeps its upload copies in a database named after it). */
  get name(): string {
    return this.db.name;
  }

  async get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K): Promise<ValueAt<C, K> | undefined> {
    checkCollection(collection);
    checkKey(collection, key);
    this.checkOpen();
    const json = (await this.db.get(collection, key)) as string | undefined;
    return json === undefined ? undefined : decodeValue(collection, key, json);
  }

  async list<C extends Collection>(collection: C): Promise<EntryOf<C>[]> {
    checkCollection(collection);
    this.checkOpen();
    const rows = await jsonRows(this.db.transaction(collection, "readonly").store);
    return rows.map(({ key, json }) => decodeEntry(collection, key, json));
  }

  async commit(changes: StoreChange[]): Promise<void> {
    const prepared = prepareChanges(changes);
    if (prepared.length === 0) return;
    this.checkOpen();
    // One transaction over every touched store, created before any await:
    // transactions on overlapping stores run in the order they are created,
    // so commits apply in call order and a later read sees them.
    const touched = [...new Set(prepared.map((change) => change.collection))];
    // "strict": complete only once flushed to disk, as SQLite's synchronous=FULL
    // (some browsers default to "relaxed", which may lose it on power loss).
    const tx = this.db.transaction(touched, "readwrite", { durability: "strict" });
    const requests: Promise<unknown>[] = [];
    try {
      for (const change of prepared) requests.push(write(tx.objectStore(change.collection), change));
    } catch (error) {
      // A request refused as it is made would leave the ones before it to commit.
      tx.abort();
      await Promise.allSettled([...requests, tx.done]);
      throw error;
    }
    // A failed request aborts the transaction; waiting on every request too
    // leaves none of their rejections unhandled.
    await Promise.all([...requests, tx.done]);
  }

  close(): Promise<void> {
    this.closedBecause ??= "closed";
    this.db.close();
    return Promise.resolve();
  }

  private checkOpen(): void {
    if (this.closedBecause !== null) throw new Error(`the client store is closed: ${this.closedBecause}`);
  }
}

function write(store: WritableStore, change: SerializedChange): Promise<unknown> {
  if (change.op === "put") return store.put(change.json, change.key);
  if (change.op === "delete") return store.delete(change.key);
  return store.clear();
}

/** A store's entries as JSON text, in key order. */
async function jsonRows(store: ReadableStore): Promise<{ key: string; json: string }[]> {
  // Both reads in one transaction, so keys and values are of one moment.
  const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
  return keys.map((key, index) => ({ key: key as string, json: values[index] as string }));
}

/** Runs the migrations after `from` in the upgrade's transaction (awaiting nothing but its requests, which keeps it open). */
async function migrate(
  upgrade: IDBPTransaction<unknown, string[], "versionchange">,
  from: number,
  where: string,
): Promise<void> {
  for (const migration of migrationsFrom(from, where)) {
    const stored = new Map<Collection, StoredJsonEntry[]>();
    for (const collection of migration.reads) {
      const rows = await jsonRows(upgrade.objectStore(collection));
      stored.set(
        collection,
        rows.map(({ key, json }) => ({ key, value: parsedJson(collection, key, json) })),
      );
    }
    await Promise.all(migration.changes(stored).map((change) => write(upgrade.objectStore(change.collection), change)));
  }
}
