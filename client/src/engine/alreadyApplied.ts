// Step 2's changes the server already has (a batch it applied in part before
// its transfer failed, then redone after a reset; or another device made the
// same change): the device adopts the server's entry, drops its pending
// change, and confirms a committed one to the app (alreadyOnServer).
import type { PreparedChange } from "../queues/records.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { ClientStore } from "../store/ClientStore.ts";
import type { EngineContext } from "./EngineContext.ts";
import type { SyncEvents } from "./events.ts";
import { dropPendingChanges, putFile } from "./localFiles.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { metaKeys } from "./state.ts";

export async function adoptAlreadyApplied<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  entries: IndexEntry[],
): Promise<void> {
  const confirmed = await alreadyAppliedConfirmations(ctx.store, entries);
  await ctx.store.commit([
    ...entries.map((entry) => putFile(entry)),
    ...(await dropPendingChanges(ctx.store, new Set(entries.map((entry) => entry.fileUUID)))),
  ]);
  for (const event of confirmed.changes) ctx.emit("singleUploadComplete", event);
  for (const batch of confirmed.batches) ctx.emit("allUploadsComplete", { batch, operationId: null });
}

/**
 * The confirmations owed for committed changes the server already has: the
 * newest change of each file, when it is in a committed batch (one still
 * being prepared was never committed), at the index's version; and the
 * batches that no change is left in once they are dropped.
 */
export async function alreadyAppliedConfirmations(
  store: ClientStore,
  entries: IndexEntry[],
): Promise<{ changes: SyncEvents["singleUploadComplete"][]; batches: number[] }> {
  const applied = new Map(entries.map((entry) => [entry.fileUUID, entry]));
  const outbound = await store.get("meta", metaKeys.outbound);
  const batches: { batch: number; changes: PreparedChange[] }[] = (await store.list("committedUploads")).map(
    ({ value }) => value,
  );
  if (outbound && !outbound.commitSent) {
    batches.unshift({
      batch: outbound.batch,
      changes: (await store.list("beingUploaded")).map(({ value }) => value.change),
    });
  }
  const newest = new Map<string, { batch: number | null; kind: PreparedChange["kind"] }>();
  for (const { batch, changes } of batches)
    for (const change of changes) newest.set(change.fileUUID, { batch, kind: change.kind });
  for (const { value } of await store.list("uploadsBeingPrepared"))
    newest.set(value.fileUUID, { batch: null, kind: value.kind });
  const changes: SyncEvents["singleUploadComplete"][] = [];
  for (const [fileUUID, change] of newest) {
    const entry = applied.get(fileUUID);
    if (entry && change.batch !== null)
      changes.push({ fileUUID, version: entry.version, kind: change.kind, batch: change.batch, alreadyOnServer: true });
  }
  const emptied = batches
    .filter(({ changes: all }) => all.length > 0 && all.every((change) => applied.has(change.fileUUID)))
    .map(({ batch }) => batch);
  return { changes, batches: emptied };
}
