// IndexedDbStore on fake-indexeddb (an IndexedDB in memory, per spec): the
// globals idb needs, and a fresh factory per test so that tests share nothing.
import "fake-indexeddb/auto";
import { IDBFactory, IDBObjectStore } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { collections, StoreSchemaError, type StoreChange } from "../../src/store/ClientStore.ts";
import { IndexedDbStore } from "../../src/store/IndexedDbStore.ts";
import { currentSchemaVersion } from "../../src/store/migrations.ts";
import { sampleOutboxResult, samplePut } from "../support/sampleRecords.ts";
import { clientStoreContract } from "./clientStoreContract.ts";

clientStoreContract("IndexedDbStore", async () => {
  const indexedDB = new IDBFactory();
  return {
    store: await IndexedDbStore.open("smsync", { indexedDB }),
    reopen: () => IndexedDbStore.open("smsync", { indexedDB }),
    writeRaw: async (collection, key, json) => {
      // A second connection at the same version: no upgrade, the store's own stays open.
      const db = await rawOpen(indexedDB, "smsync", currentSchemaVersion);
      await new Promise((resolve, reject) => {
        const tx = db.transaction(collection, "readwrite");
        tx.objectStore(collection).put(json, key);
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error ?? new Error("the transaction failed"));
      });
      db.close();
    },
  };
});

function rawOpen(
  indexedDB: IDBFactory,
  name: string,
  version: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("opening IndexedDB failed"));
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
    await store.commit([
      { op: "put", collection: "outboxResults", key: "a", value: sampleOutboxResult({ date: new Date(0) }) },
    ]);
    expect(store.schemaVersion).toBe(currentSchemaVersion);
    await store.close();

    const db = await rawOpen(indexedDB, "smsync", currentSchemaVersion);
    expect(Array.from(db.objectStoreNames).sort()).toEqual([...collections].sort());
    const raw = await new Promise((resolve) => {
      const request = db.transaction("outboxResults").objectStore("outboxResults").get("a");
      request.onsuccess = () => resolve(request.result);
    });
    expect(raw).toBe(JSON.stringify(sampleOutboxResult({ date: "1970-01-01T00:00:00.000Z" })));
    db.close();
  });

  it("refuses a database with a newer schema, leaving it as it was", async () => {
    const indexedDB = new IDBFactory();
    const newer = await rawOpen(indexedDB, "smsync", currentSchemaVersion + 1, (db) =>
      db.createObjectStore("somethingElse"),
    );
    newer.close();
    const opening = IndexedDbStore.open("smsync", { indexedDB });
    await expect(opening).rejects.toThrow(StoreSchemaError);
    await expect(opening).rejects.toMatchObject({ code: "STORE_SCHEMA" });
    const after = await rawOpen(indexedDB, "smsync", currentSchemaVersion + 1);
    expect(Array.from(after.objectStoreNames)).toEqual(["somethingElse"]);
    after.close();
  });

  it("closes itself rather than block another tab's upgrade, and says so when used", async () => {
    const indexedDB = new IDBFactory();
    const store = await IndexedDbStore.open("smsync", { indexedDB });
    await store.commit([{ op: "put", collection: "meta", key: "mode", value: "idle" }]);
    const upgraded = await rawOpen(indexedDB, "smsync", currentSchemaVersion + 1);
    expect(upgraded.version).toBe(currentSchemaVersion + 1);
    upgraded.close();
    await expect(store.get("meta", "mode")).rejects.toThrow(/upgrading or deleting/);
    await expect(
      store.commit([{ op: "put", collection: "meta", key: "mode", value: "synchronizing" }]),
    ).rejects.toThrow(/upgrading or deleting/);
  });

  describe("a commit that fails inside its transaction changes nothing", () => {
    const changes: StoreChange[] = [
      samplePut("files", "a", 2),
      { op: "clear", collection: "outbox" },
      samplePut("tusUploads", "boom", 2),
      samplePut("files", "b", 2),
    ];

    async function storeWithData(): Promise<IndexedDbStore> {
      const store = await IndexedDbStore.open("smsync", { indexedDB: new IDBFactory() });
      await store.commit([samplePut("files", "a", 1), samplePut("outbox", "1", 1), samplePut("tusUploads", "boom", 1)]);
      return store;
    }

    it("when a request fails (the transaction aborts)", async () => {
      const store = await storeWithData();
      const before = await contents(store);
      // The original put, called below with the store spied on as `this`.
      const put = Reflect.get(IDBObjectStore.prototype, "put");
      // add() of a key that exists: a ConstraintError from the request, after the changes before it ran.
      vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (
        this: IDBObjectStore,
        value: unknown,
        key?: IDBValidKey,
      ) {
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
      // The original put, called below with the store spied on as `this`.
      const put = Reflect.get(IDBObjectStore.prototype, "put");
      vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (
        this: IDBObjectStore,
        value: unknown,
        key?: IDBValidKey,
      ) {
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
