// Runs in a real browser page (bundled by indexedDbStore.browser.test.ts):
// exercises IndexedDbStore against the browser's own IndexedDB and reports
// what it saw on window.smsyncResult.
import { IndexedDbStore } from "../../src/store/IndexedDbStore.ts";
import { sequenceKey, StoreRecordError, type Collection } from "../../src/store/ClientStore.ts";
import { sampleOutboxResult, samplePut } from "../support/sampleRecords.ts";
import { writeIndexedDbV1, type FixtureRow } from "../support/storeFixtureV1.ts";

declare global {
  interface Window {
    smsyncResult?: unknown;
    /** Opens the rows of the schema-1 fixture as an IndexedDB of version 1; gives what IndexedDbStore reads of them. */
    smsyncOpenFixture?: (rows: FixtureRow[]) => Promise<unknown>;
  }
}

async function firstVisit() {
  const store = await IndexedDbStore.open("smsync-browser-test");
  await store.commit([
    samplePut("committedUploads", sequenceKey(10), 10),
    samplePut("committedUploads", sequenceKey(9), 9),
    { op: "put", collection: "outboxResults", key: "ä-key", value: sampleOutboxResult({ when: new Date(0) }) },
    { op: "put", collection: "meta", key: "mode", value: "idle" },
  ]);
  // A batch with a value that cannot be stored changes nothing.
  let refused = false;
  try {
    await store.commit([
      { op: "put", collection: "meta", key: "mode", value: "synchronizing" },
      { op: "put", collection: "outboxResults", key: "bad", value: sampleOutboxResult(BigInt(1)) },
    ]);
  } catch {
    refused = true;
  }
  const result = {
    order: (await store.list("committedUploads")).map((entry) => entry.value.batch),
    date: ((await store.get("outboxResults", "ä-key"))?.data as { when: string }).when,
    refused,
    modeAfterRefusal: await store.get("meta", "mode"),
  };
  await store.close();
  return result;
}

async function secondVisit() {
  const store = await IndexedDbStore.open("smsync-browser-test");
  const result = {
    modeAfterReload: await store.get("meta", "mode"),
    batches: (await store.list("committedUploads")).length,
  };
  await store.close();
  return result;
}

window.smsyncOpenFixture = async (rows) => {
  await writeIndexedDbV1(indexedDB, "smsync-fixture-v1", rows);
  const store = await IndexedDbStore.open("smsync-fixture-v1");
  const read: Record<string, unknown> = {};
  for (const row of rows)
    read[`${row.collection}/${row.key}`] = await store.get(row.collection as Collection, row.key as never);
  // A record corrupted on disk (another program, a bad sector): refused when read, with what and why.
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open("smsync-fixture-v1", store.schemaVersion);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("opening IndexedDB failed"));
  });
  await new Promise((resolve) => {
    const tx = db.transaction("files", "readwrite");
    tx.objectStore("files").put('{"fileUUID":"f1","version":"two"}', "f1");
    tx.oncomplete = resolve;
  });
  db.close();
  const refusal = await store.get("files", "f1").then(
    () => null,
    (error: unknown) =>
      error instanceof StoreRecordError
        ? { name: error.name, code: error.code, collection: error.collection, key: error.key }
        : String(error),
  );
  const result = { schemaVersion: store.schemaVersion, read, refusal, newer: await openNewer(store.schemaVersion + 1) };
  await store.close();
  return result;
};

/** What IndexedDbStore.open says of a database of a newer schema version. */
async function openNewer(version: number): Promise<unknown> {
  const newer = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open("smsync-newer", version);
    request.onupgradeneeded = () => request.result.createObjectStore("somethingElse");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("opening IndexedDB failed"));
  });
  newer.close();
  return IndexedDbStore.open("smsync-newer").then(
    () => "opened",
    (error: { name: string; code?: string }) => ({ name: error.name, code: error.code }),
  );
}

const visit = new URL(location.href).searchParams.get("visit");
if (visit !== "fixture")
  (visit === "second" ? secondVisit() : firstVisit()).then(
    (result) => (window.smsyncResult = { ok: true, ...result }),
    (error: Error) => (window.smsyncResult = { ok: false, error: `${error.name}: ${error.message}` }),
  );
