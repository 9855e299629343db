// The client's persistent state, behind one interface with one
// implementation per platform (SQLite for Node and Electron, IndexedDB for
// browsers, memory for tests), all passing test/store/clientStoreContract.ts.
//
// The model is deliberately small: named collections of JSON values by
// string key, read one at a time or listed in key order, and written by
// `commit`, which applies a batch of changes atomically: all or none, even
// if the process is killed mid-way. Every step of the sync engine reads
// what it needs, then commits everything the step changes in one batch, so
// a kill between steps resumes at the first step that did not commit.
// (IndexedDB transactions cannot stay open across awaits on other I/O,
// which is why a step does not hold a transaction while it works.)

export const collections = [
  /** Single values: mode, device id, server, next sequence numbers. */
  "meta",
  /** Per fileUUID: the local file's known version, sha256, name, deleted flag. */
  "files",
  /** Per fileUUID: uploads and deletions queued before commit. */
  "uploadsBeingPrepared",
  /** Per batch sequence number: committed batches waiting their turn, in order. */
  "committedUploads",
  /** Per fileUUID: the batch being uploaded now. */
  "beingUploaded",
  /** Per fileUUID: the downloads being processed now. */
  "beingDownloaded",
  /** Per sequence number: mutations waiting to be sent, in order (the outbox). */
  "outbox",
  /** Per idempotency key: results of sent mutations, until the engine has used them. */
  "outboxResults",
  /** Per upload fingerprint: tus resume state (upload URL). */
  "tusUploads",
] as const;

export type Collection = (typeof collections)[number];

/** A JSON value as stored: plain objects, arrays, strings, numbers, booleans, null. */
export type StoredValue = unknown;

export type StoreChange =
  | { op: "put"; collection: Collection; key: string; value: StoredValue }
  | { op: "delete"; collection: Collection; key: string }
  | { op: "clear"; collection: Collection };

export interface StoredEntry<T> {
  key: string;
  value: T;
}

export interface ClientStore {
  get<T>(collection: Collection, key: string): Promise<T | undefined>;
  /** Every entry of a collection, in ascending key order (code unit order, as JavaScript sorts strings). */
  list<T>(collection: Collection): Promise<StoredEntry<T>[]>;
  /** Applies the changes in order, atomically: after a crash, either all of them are stored or none. */
  commit(changes: StoreChange[]): Promise<void>;
  close(): Promise<void>;
}

/** A key that sorts in numeric order: queues key their entries by sequence number. */
export function sequenceKey(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad sequence number ${sequence}`);
  return String(sequence).padStart(16, "0");
}
