// IndexedDbStore on fake-indexeddb (an IndexedDB in memory, per spec): the
// globals idb needs, and a fresh factory per test so that tests share nothing.
import "fake-indexeddb/auto";
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { collections, StoreSchemaError } from "../../src/store/ClientStore.ts";
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

describe("IndexedDbStore", () => {
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
});
