// The client's persistent state, behind one interface with one
// implementation per platform (SQLite for Node and Electron, IndexedDB for
// browsers, memory for tests), all passing test/store/clientStoreContract.ts.
//
// The model is deliberately small: named collections of records by string
// key (each collection's record type and schema in storedRecords.ts), stored
// as JSON, read one at a time or listed in key order, and written by
// `commit`, which applies a batch of changes atomically: all or none, even
// if the process is killed mid-way. Every step of the sync engine reads
// what it needs, then commits everything the step changes in one batch, so
// a kill between steps resumes at the first step that did not commit.
// (IndexedDB transactions cannot stay open across awaits on other I/O,
// which is why a step does not hold a transaction while it works.)
import { isMetaKey, validRecord } from "./recordValidation.ts";
import type {
  Collection,
  EntryOf,
  KeyIn,
  MetaKey,
  MetaValues,
  RecordCollection,
  StoredRecords,
  ValueAt,
} from "./storedRecords.ts";
import { collections } from "./storedRecords.ts";

export { collections };
export type {
  Collection,
  EntryOf,
  KeyIn,
  MetaKey,
  MetaValues,
  RecordCollection,
  StoredEntry,
  StoredRecords,
  ValueAt,
} from "./storedRecords.ts";
export { StoreRecordError, StoreSchemaError } from "./storeErrors.ts";

type RecordPut = {
  [C in RecordCollection]: { op: "put"; collection: C; key: string; value: StoredRecords[C] };
}[RecordCollection];
type MetaPut = { [K in MetaKey]: { op: "put"; collection: "meta"; key: K; value: MetaValues[K] } }[MetaKey];

/** A change, typed by its collection (and in "meta" by its key). */
export type StoreChange =
  | RecordPut
  | MetaPut
  | { op: "delete"; collection: RecordCollection; key: string }
  | { op: "delete"; collection: "meta"; key: MetaKey }
  | { op: "clear"; collection: Collection };

/**
 * Values have JSON semantics on every platform: what `get` returns is
 * `JSON.parse(JSON.stringify(value))`, checked against its collection's
 * schema (storedRecords.ts). An unknown collection or meta key, a key that is
 * not well-formed Unicode (a lone surrogate, which SQLite's UTF-8/16 text
 * cannot hold) or a value that is not JSON is refused with a TypeError; a
 * value that is not of its collection's type with a StoreRecordError: by
 * `commit` before anything is written, by `get` and `list` when read.
 *
 * Each store keeps a schema version (migrations.ts): opening one written by
 * an older SDK migrates it first; one written by a newer SDK is refused with
 * a StoreSchemaError.
 */
export interface ClientStore {
  get<C extends Collection, K extends KeyIn<C>>(collection: C, key: K): Promise<ValueAt<C, K> | undefined>;
  /** Every entry of a collection, in ascending key order (code unit order, as JavaScript sorts strings). */
  list<C extends Collection>(collection: C): Promise<EntryOf<C>[]>;
  /** Applies the changes in order, atomically: after a crash, either all of them are stored or none. */
  commit(changes: StoreChange[]): Promise<void>;
  close(): Promise<void>;
}

/** A change checked and serialized, ready for an adapter to write. */
export type SerializedChange =
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
  if (collection === "meta" && !isMetaKey(key)) throw new TypeError(`unknown meta key ${JSON.stringify(key)}`);
}

/**
 * Checks, validates and serializes a whole batch before an adapter writes any of it, so
 * that every adapter refuses the same batches and a refused batch changes nothing.
 */
export function prepareChanges(changes: readonly StoreChange[]): SerializedChange[] {
  return changes.map((change): SerializedChange => {
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
      throw new TypeError(`value for ${change.collection}/${change.key} is not JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (json === undefined) throw new TypeError(`value for ${change.collection}/${change.key} is not JSON`);
    // Checked as it will be read back, so the store never holds what it could not read.
    validRecord(change.collection, change.key, JSON.parse(json));
    return { op: "put", collection: change.collection, key: change.key, json };
  });
}

/** A key that sorts in numeric order: queues key their entries by sequence number. */
export function sequenceKey(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad sequence number ${sequence}`);
  return String(sequence).padStart(16, "0");
}
