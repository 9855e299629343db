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
import { SmsyncClientError } from "../errors.ts";

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

/**
 * Values have JSON semantics on every platform: what `get` returns is
 * `JSON.parse(JSON.stringify(value))` (a Date comes back as its ISO string).
 * An unknown collection, a key that is not well-formed Unicode (a lone
 * surrogate, which SQLite's UTF-8/16 text cannot hold) or a value that is not
 * JSON is refused with a TypeError, by `commit` before anything is written.
 */
export interface ClientStore {
  get<T>(collection: Collection, key: string): Promise<T | undefined>;
  /** Every entry of a collection, in ascending key order (code unit order, as JavaScript sorts strings). */
  list<T>(collection: Collection): Promise<StoredEntry<T>[]>;
  /** Applies the changes in order, atomically: after a crash, either all of them are stored or none. */
  commit(changes: StoreChange[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The stored data was written by a newer SDK, or is not a client store at
 * all: the app must be updated or pointed elsewhere, not the data rewritten.
 */
export class StoreSchemaError extends SmsyncClientError {
  override name = "StoreSchemaError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_SCHEMA", message, options);
  }
}

/** A change checked and serialized, ready for an adapter to write. */
export type PreparedChange =
  | { op: "put"; collection: Collection; key: string; json: string }
  | { op: "delete"; collection: Collection; key: string }
  | { op: "clear"; collection: Collection };

const knownCollections: ReadonlySet<string> = new Set(collections);

export function checkCollection(collection: Collection): void {
  if (!knownCollections.has(collection)) throw new TypeError(`unknown collection ${String(collection)}`);
}

export function checkKey(collection: Collection, key: string): void {
  // With the u flag a surrogate pair is one code point, so this matches only lone surrogates.
  if (typeof key !== "string" || /[\uD800-\uDFFF]/u.test(key)) {
    throw new TypeError(`key ${JSON.stringify(key)} in ${collection} is not a well-formed string`);
  }
}

/**
 * Checks and serializes a whole batch before an adapter writes any of it, so
 * that every adapter refuses the same batches and a refused batch changes nothing.
 */
export function prepareChanges(changes: readonly StoreChange[]): PreparedChange[] {
  return changes.map((change): PreparedChange => {
    checkCollection(change.collection);
    if (change.op === "clear") return { op: "clear", collection: change.collection };
    checkKey(change.collection, change.key);
    if (change.op === "delete") return { op: "delete", collection: change.collection, key: change.key };
    if (change.op !== "put") throw new TypeError(`unknown store change ${String((change as { op: unknown }).op)}`);
    let json: string | undefined;
    try {
      json = JSON.stringify(change.value);
    } catch (error) {
      // A BigInt or a cycle somewhere inside the value.
      throw new TypeError(`value for ${change.collection}/${change.key} is not JSON: ${(error as Error).message}`, { cause: error });
    }
    if (json === undefined) throw new TypeError(`value for ${change.collection}/${change.key} is not JSON`);
    return { op: "put", collection: change.collection, key: change.key, json };
  });
}

/** A key that sorts in numeric order: queues key their entries by sequence number. */
export function sequenceKey(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad sequence number ${sequence}`);
  return String(sequence).padStart(16, "0");
}
