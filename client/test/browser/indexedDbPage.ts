// Runs in a real browser page (bundled by indexedDbStore.browser.test.ts):
// exercises IndexedDbStore against the browser's own IndexedDB and reports
// what it saw on window.smsyncResult.
import { IndexedDbStore } from "../../src/store/IndexedDbStore.ts";
import { sequenceKey } from "../../src/store/ClientStore.ts";

declare global {
  interface Window {
    smsyncResult?: unknown;
  }
}

async function firstVisit() {
  const store = await IndexedDbStore.open("smsync-browser-test");
  await store.commit([
    { op: "put", collection: "committedUploads", key: sequenceKey(10), value: { batch: 10 } },
    { op: "put", collection: "committedUploads", key: sequenceKey(9), value: { batch: 9 } },
    { op: "put", collection: "files", key: "ä-file", value: { when: new Date(0) } },
    { op: "put", collection: "meta", key: "mode", value: "idle" },
  ]);
  // A batch with a value that cannot be stored changes nothing.
  let refused = false;
  try {
    await store.commit([
      { op: "put", collection: "meta", key: "mode", value: "synchronizing" },
      { op: "put", collection: "meta", key: "bad", value: BigInt(1) },
    ]);
  } catch {
    refused = true;
  }
  const result = {
    order: (await store.list<{ batch: number }>("committedUploads")).map((entry) => entry.value.batch),
    date: (await store.get<{ when: string }>("files", "ä-file"))?.when,
    refused,
    modeAfterRefusal: await store.get("meta", "mode"),
  };
  await store.close();
  return result;
}

async function secondVisit() {
  const store = await IndexedDbStore.open("smsync-browser-test");
  const result = { modeAfterReload: await store.get("meta", "mode"), batches: (await store.list("committedUploads")).length };
  await store.close();
  return result;
}

const visit = new URL(location.href).searchParams.get("visit");
(visit === "second" ? secondVisit() : firstVisit()).then(
  (result) => (window.smsyncResult = { ok: true, ...result }),
  (error: Error) => (window.smsyncResult = { ok: false, error: `${error.name}: ${error.message}` }),
);
