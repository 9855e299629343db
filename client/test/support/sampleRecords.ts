// Valid records of the client store's collections (src/store/storedRecords.ts),
// for tests of the stores themselves: what they hold matters less than that
// it is of the right type and tells one record from another.
import type { OutboxEntry, StoredOutboxResult } from "../../src/graphql/outbox/index.ts";
import type { LocalFile } from "../../src/queues/records.ts";
import type { Collection, StoreChange, ValueAt } from "../../src/store/ClientStore.ts";

/** A file record; `version` tells records apart, `appMetaData` carries any text (padding, a tag). */
export function sampleFile(version: number, appMetaData: string | null = null): LocalFile {
  return {
    fileUUID: `file-${version}`,
    version,
    sha256: "0".repeat(64),
    cloudFileName: `file-${version}.txt`,
    mimeType: "text/plain",
    appMetaData,
    deleted: false,
  };
}

export function sampleOutboxEntry(sequence: number): OutboxEntry {
  return {
    sequence,
    idempotencyKey: `key-${sequence}`,
    operationName: "Lock",
    query: "mutation { lock }",
    variables: {},
    enqueuedAt: "2026-01-01T00:00:00.000Z",
  };
}

/** An answer whose `data` is any JSON value: the one field of the store that is free-form. */
export function sampleOutboxResult(data: unknown): StoredOutboxResult {
  return {
    idempotencyKey: "key",
    operationName: "Lock",
    variables: {},
    data,
    errors: [],
    storedAt: "2026-01-01T00:00:00.000Z",
  };
}

/** A record of any collection ("meta": the value of `nextBatch`), told apart by `n`. */
export function sampleRecord(collection: Collection, n: number): ValueAt<Collection> | number {
  switch (collection) {
    case "meta":
      return n;
    case "files":
      return sampleFile(n);
    case "uploadsBeingPrepared":
      return { kind: "delete", fileUUID: `file-${n}`, queuedAt: "2026-01-01T00:00:00.000Z" };
    case "committedUploads":
      return { batch: n, changes: [], committedAt: "2026-01-01T00:00:00.000Z" };
    case "beingUploaded":
      return {
        change: { kind: "delete", fileUUID: `file-${n}`, queuedAt: "2026-01-01T00:00:00.000Z" },
        version: n,
        done: false,
      };
    case "beingDownloaded":
      return {
        entry: {
          fileUUID: `file-${n}`,
          cloudFileName: "a",
          mimeType: "text/plain",
          appMetaData: null,
          version: n,
          deleted: false,
          size: 0,
          sha256: "0".repeat(64),
        },
      };
    case "outbox":
      return sampleOutboxEntry(n);
    case "outboxResults":
      return sampleOutboxResult(n);
    case "tusUploads":
      return {
        fingerprint: `f-${n}`,
        fileUUID: `file-${n}`,
        version: n,
        sha256: "0".repeat(64),
        fencingToken: 1,
        uploadUrl: "http://x/1",
        size: null,
        metadata: {},
        creationTime: "2026-01-01T00:00:00.000Z",
      };
  }
}

/** A put of sampleRecord(collection, n) under `key` (in "meta": always under nextBatch). */
export function samplePut(collection: Collection, key: string, n: number): StoreChange {
  if (collection === "meta") return { op: "put", collection, key: "nextBatch", value: n };
  return { op: "put", collection, key, value: sampleRecord(collection, n) } as StoreChange;
}
