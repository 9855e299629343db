// IndexedDbStore on fake-indexeddb (an IndexedDB in memory, per spec): the
// globals idb needs, and a fresh factory per test so that tests share nothing.
import "fake-indexeddb/auto";
import { IDBFactory, IDBObjectStore } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { collections, StoreSchemaError, type StoreChange } from "../../src/store/ClientStore.ts";
import { IndexedDbStore } from "../../src/store/IndexedDbStore.ts";
import { clientStoreContract } from "./clientStoreContract.ts";

clientStoreContract("IndexedDbStore", async () => {
  const indexedDB = new IDBFactory();
  return {
    store: await IndexedDbStore.open("smsync", { indexedDB }),
    reopen: () => IndexedDbStore.open("smsync", { indexedDB }),
  };
});

function rawOpen(indexedDB: IDBFactory, name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function contents(store: IndexedDbStore): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const collection of collections) result[collection] = await store.list(collection);
  return result;
}

describe("IndexedDbStore", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("creates one object store per collection, values as JSON text", async () => {
    const indexedDB = new IDBFactory();
    const store = await IndexedDbStore.open("smsync", { indexedDB });
    await store.commit([{ op: "put", collection: "files", key: "a", value: { date: new Date(0) } }]);
    await store.close();

    const db = await rawOpen(indexedDB, "smsync", 1);
    expect(Array.from(db.objectStoreNames).sort()).toEqual([...collections].sort());
    const raw = await new Promise((resolve) => {
      const request = db.transaction("files").objectStore("files").get("a");
      request.onsuccess = () => resolve(request.result);
    });
    expect(raw).toBe('{"date":"1970-01-01T00:00:00.000Z"}');
    db.close();
  });

  it("refuses a database with a newer schema, leaving it as it was", async () => {
    const indexedDB = new IDBFactory();
    const newer = await rawOpen(indexedDB, "smsync", 7, (db) => db.createObjectStore("somethingElse"));
    newer.close();
    const opening = IndexedDbStore.open("smsync", { indexedDB });
    await expect(opening).rejects.toThrow(StoreSchemaError);
    await expect(opening).rejects.toMatchObject({ code: "STORE_SCHEMA" });
    const after = await rawOpen(indexedDB, "smsync", 7);
    expect(Array.from(after.objectStoreNames)).toEqual(["somethingElse"]);
    after.close();
  });

  it("closes itself rather than block another tab's upgrade, and says so when used", async () => {
    const indexedDB = new IDBFactory();
    const store = await IndexedDbStore.open("smsync", { indexedDB });
    await store.commit([{ op: "put", collection: "meta", key: "mode", value: "idle" }]);
    const upgraded = await rawOpen(indexedDB, "smsync", 2);
    expect(upgraded.version).toBe(2);
    upgraded.close();
    await expect(store.get("meta", "mode")).rejects.toThrow(/upgrading or deleting/);
    await expect(store.commit([{ op: "put", collection: "meta", key: "mode", value: "x" }])).rejects.toThrow(/upgrading or deleting/);
  });

  describe("a commit that fails inside its transaction changes nothing", () => {
    const changes: StoreChange[] = [
      { op: "put", collection: "files", key: "a", value: 2 },
      { op: "clear", collection: "outbox" },
      { op: "put", collection: "meta", key: "boom", value: 2 },
      { op: "put", collection: "files", key: "b", value: 2 },
    ];

    async function storeWithData(): Promise<IndexedDbStore> {
      const store = await IndexedDbStore.open("smsync", { indexedDB: new IDBFactory() });
      await store.commit([
        { op: "put", collection: "files", key: "a", value: 1 },
        { op: "put", collection: "outbox", key: "1", value: 1 },
        { op: "put", collection: "meta", key: "boom", value: 1 },
      ]);
      return store;
    }

    it("when a request fails (the transaction aborts)", async () => {
      const store = await storeWithData();
      const before = await contents(store);
      const put = IDBObjectStore.prototype.put;
      // add() of a key that exists: a ConstraintError from the request, after the changes before it ran.
      vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        return key === "boom" ? this.add(value, key) : put.call(this, value, key);
      });
      await expect(store.commit(changes)).rejects.toMatchObject({ name: "ConstraintError" });
      vi.restoreAllMocks();
      expect(await contents(store)).toEqual(before);
      await store.close();
    });

    it("when a request is refused as it is made (the store aborts the transaction)", async () => {
      const store = await storeWithData();
      const before = await contents(store);
      const put = IDBObjectStore.prototype.put;
      vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        if (key === "boom") throw new DOMException("refused", "DataError");
        return put.call(this, value, key);
      });
      await expect(store.commit(changes)).rejects.toMatchObject({ name: "DataError" });
      vi.restoreAllMocks();
      expect(await contents(store)).toEqual(before);
      await store.close();
    });
  });
});
