// The client store in IndexedDB (through idb), for browsers: one object
// store per collection, values as JSON text under out-of-line string keys.
//
// One object store per collection rather than one store keyed by
// [collection, key]: `clear` is the store's own clear(), `list` is getAll()
// in the store's key order (IndexedDB compares strings by code unit, as
// JavaScript does), and the database version that adds a collection's store
// is the schema version. Values are JSON text, not structured clones, so
// they have the same semantics here as in SQLite and memory (a Date comes
// back as its ISO string, not as a Date).
//
// idb recognizes IndexedDB objects by the global constructors (IDBRequest,
// IDBDatabase...): in Node, install them first (fake-indexeddb/auto).
import { wrap, type IDBPDatabase } from "idb";
import {
  checkCollection,
  checkKey,
  collections,
  prepareChanges,
  StoreSchemaError,
  type ClientStore,
  type Collection,
  type StoreChange,
  type StoredEntry,
} from "./ClientStore.ts";

const schemaVersion = 1;

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
    const request = factory.open(name, schemaVersion);
    request.addEventListener("upgradeneeded", () => {
      const db = request.result;
      for (const collection of collections) {
        if (!db.objectStoreNames.contains(collection)) db.createObjectStore(collection);
      }
    });
    try {
      const db = await wrap(request);
      if (!db) throw new Error(`opening IndexedDB ${name} gave no database`);
      return new IndexedDbStore(db);
    } catch (error) {
      if ((error as Error | null)?.name === "VersionError") {
        throw new StoreSchemaError(`IndexedDB ${name} has a client store schema newer than this SDK's ${schemaVersion}: update the app`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The IndexedDB database's name (the browser client keeps its upload copies in a database named after it). */
  get name(): string {
    return this.db.name;
  }

  async get<T>(collection: Collection, key: string): Promise<T | undefined> {
    checkCollection(collection);
    checkKey(collection, key);
    this.checkOpen();
    const json = (await this.db.get(collection, key)) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async list<T>(collection: Collection): Promise<StoredEntry<T>[]> {
    checkCollection(collection);
    this.checkOpen();
    // Both reads in one transaction, so keys and values are of one moment.
    const store = this.db.transaction(collection, "readonly").store;
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
    return keys.map((key, index) => ({ key: key as string, value: JSON.parse(values[index] as string) as T }));
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
      for (const change of prepared) {
        const store = tx.objectStore(change.collection);
        if (change.op === "put") requests.push(store.put(change.json, change.key));
        else if (change.op === "delete") requests.push(store.delete(change.key));
        else requests.push(store.clear());
      }
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

  async close(): Promise<void> {
    this.closedBecause ??= "closed";
    this.db.close();
  }

  private checkOpen(): void {
    if (this.closedBecause !== null) throw new Error(`the client store is closed: ${this.closedBecause}`);
  }
}
