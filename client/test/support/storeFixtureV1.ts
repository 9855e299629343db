// The store of schema version 1 kept in test/fixtures/clientStore-v1.sqlite
// (written by the SDK of then, see test/fixtures/README.md): its rows, and
// the same data as an IndexedDB of version 1 (one object store per
// collection, JSON text under out-of-line keys: what IndexedDbStore made
// then). No Node import here: browser pages use it too.

/** The nine collections of version 1. */
export const collectionsV1 = [
  "meta",
  "files",
  "uploadsBeingPrepared",
  "committedUploads",
  "beingUploaded",
  "beingDownloaded",
  "outbox",
  "outboxResults",
  "tusUploads",
];

export interface FixtureRow {
  collection: string;
  key: string;
  /** JSON text, as stored. */
  value: string;
}

/** Creates `name` as IndexedDbStore of version 1 would have left it, holding `rows`. */
export function writeIndexedDbV1(indexedDB: IDBFactory, name: string, rows: readonly FixtureRow[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      for (const collection of collectionsV1) request.result.createObjectStore(collection);
      for (const row of rows) request.transaction!.objectStore(row.collection).put(row.value, row.key);
    };
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error ?? new Error("opening IndexedDB failed"));
  });
}
