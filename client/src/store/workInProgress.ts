// What of a store is work in progress: the collections and meta keys that
// are empty once a device has synced everything. The client's tests and the
// simulator's invariant 5 check a device against it, so it lives here, next
// to the collections, rather than as a list in each of them.
import type { ClientStore } from "./ClientStore.ts";
import type { RecordCollection } from "./storedRecords.ts";

/** Each collection, whether it holds work in progress: a new collection does not compile until it is placed. */
const holdsWork: { readonly [C in RecordCollection]: boolean } = {
  files: false,
  uploadsBeingPrepared: true,
  committedUploads: true,
  beingUploaded: true,
  beingDownloaded: true,
  outbox: true,
  outboxResults: true,
  tusUploads: true,
};

/** The collections that hold work in progress. */
export const workCollections: readonly RecordCollection[] = (Object.keys(holdsWork) as RecordCollection[]).filter(
  (collection) => holdsWork[collection],
);

/** The engine's state in meta (engine/state.ts's `engine.*` keys): set only while a pass has work under way. */
const engineStatePrefix = "engine.";

export interface WorkLeft {
  /** The keys of each work collection that holds any. */
  records: Partial<Record<RecordCollection, string[]>>;
  /** The engine's state keys in meta. */
  engineState: string[];
}

/** What the store still holds of work in progress: `{ records: {}, engineState: [] }` once the device has synced everything. */
export async function workLeftInStore(store: ClientStore): Promise<WorkLeft> {
  const records: WorkLeft["records"] = {};
  for (const collection of workCollections) {
    const keys = (await store.list(collection)).map((entry) => entry.key);
    if (keys.length) records[collection] = keys;
  }
  const engineState = (await store.list("meta"))
    .map((entry) => entry.key)
    .filter((key) => key.startsWith(engineStatePrefix));
  return { records, engineState };
}
