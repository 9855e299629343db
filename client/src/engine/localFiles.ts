// The device's view of its files in the store: what it holds ("files") and
// what it means to change (the queues), as the plan and the phases read them.
import type { LocalFile, PreparedChange } from "../queues/records.ts";
import type { ClientStore, StoreChange } from "../store/ClientStore.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { metaKeys } from "./state.ts";

export async function localFiles(store: ClientStore): Promise<Map<string, LocalFile>> {
  return new Map((await store.list("files")).map(({ key, value }) => [key, value]));
}

/** The record of a file as the index has it. */
export function fileRecord(entry: IndexEntry): LocalFile {
  return {
    fileUUID: entry.fileUUID,
    version: entry.version,
    sha256: entry.sha256,
    cloudFileName: entry.cloudFileName,
    mimeType: entry.mimeType,
    appMetaData: entry.appMetaData,
    deleted: entry.deleted,
  };
}

/** The change that makes the device hold the index's version of a file. */
export function putFile(entry: IndexEntry): StoreChange {
  return { op: "put", collection: "files", key: entry.fileUUID, value: fileRecord(entry) };
}

/** Every local change not confirmed by the server, the newest per file. */
export async function pendingChanges(store: ClientStore): Promise<Map<string, PreparedChange>> {
  const pending = new Map<string, PreparedChange>();
  for (const { value } of await store.list("beingUploaded")) pending.set(value.change.fileUUID, value.change);
  for (const { value } of await store.list("committedUploads")) {
    for (const change of value.changes) pending.set(change.fileUUID, change);
  }
  for (const { value } of await store.list("uploadsBeingPrepared")) pending.set(value.fileUUID, value);
  return pending;
}

/** The changes that drop every pending change of these files: prepared, in committed batches, or in a batch not yet committed to the server. */
export async function dropPendingChanges(store: ClientStore, fileUUIDs: Set<string>): Promise<StoreChange[]> {
  if (fileUUIDs.size === 0) return [];
  const changes: StoreChange[] = [];
  for (const { key, value } of await store.list("uploadsBeingPrepared")) {
    if (fileUUIDs.has(value.fileUUID)) changes.push({ op: "delete", collection: "uploadsBeingPrepared", key });
  }
  for (const { key, value } of await store.list("committedUploads")) {
    const kept = value.changes.filter((change) => !fileUUIDs.has(change.fileUUID));
    if (kept.length === value.changes.length) continue;
    changes.push(
      kept.length
        ? { op: "put", collection: "committedUploads", key, value: { ...value, changes: kept } }
        : { op: "delete", collection: "committedUploads", key },
    );
  }
  const outbound = await store.get("meta", metaKeys.outbound);
  if (outbound && !outbound.commitSent) {
    const entries = await store.list("beingUploaded");
    const dropped = entries.filter(({ value }) => fileUUIDs.has(value.change.fileUUID));
    for (const { key } of dropped) changes.push({ op: "delete", collection: "beingUploaded", key });
    if (dropped.length && dropped.length === entries.length)
      changes.push({ op: "delete", collection: "meta", key: metaKeys.outbound });
  }
  return changes;
}
