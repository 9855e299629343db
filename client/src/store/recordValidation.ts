// Values in and out of a client store, checked against their schemas
// (storedRecords.ts): the one place where stored JSON becomes typed values.
import type { z } from "zod";
import { StoreRecordError } from "./storeErrors.ts";
import {
  metaSchemas,
  recordSchemas,
  type Collection,
  type EntryOf,
  type MetaKey,
  type ValueAt,
} from "./storedRecords.ts";

export function isMetaKey(key: string): key is MetaKey {
  return Object.hasOwn(metaSchemas, key);
}

function schemaFor(collection: Collection, key: string): z.ZodType {
  if (collection !== "meta") return recordSchemas[collection];
  if (!isMetaKey(key)) throw new StoreRecordError(collection, key, "no such meta key");
  return metaSchemas[key];
}

/** The value as its collection's type, or a StoreRecordError saying why it is not. */
export function validRecord(collection: Collection, key: string, value: unknown): unknown {
  const result = schemaFor(collection, key).safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.length ? issue.path.join(".") : "the record"}: ${issue.message}`,
    );
    throw new StoreRecordError(collection, key, problems.join("; "), { cause: result.error });
  }
  return result.data;
}

/** Stored JSON text as a value; a StoreRecordError if it is not JSON. */
export function parsedJson(collection: Collection, key: string, json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new StoreRecordError(collection, key, `not JSON (${(error as Error).message})`, { cause: error });
  }
}

/** A stored value, read back: the only cast from JSON to a record type, made once the schema has passed it. */
export function decodeValue<C extends Collection, K extends string>(
  collection: C,
  key: K,
  json: string,
): ValueAt<C, K> {
  return validRecord(collection, key, parsedJson(collection, key, json)) as ValueAt<C, K>;
}

export function decodeEntry<C extends Collection>(collection: C, key: string, json: string): EntryOf<C> {
  return { key, value: decodeValue(collection, key, json) } as unknown as EntryOf<C>;
}
