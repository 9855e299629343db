// What resetFromError changes in the store (the app's call, ClientBase), and
// the sweep of upload copies no pending change refers to.
import type { PreparedUpload } from "../queues/records.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { ClientStore, StoreChange } from "../store/ClientStore.ts";
import type { EngineContext } from "./EngineContext.ts";
import { pendingChanges } from "./localFiles.ts";
import { metaKeys, type OutboundState } from "./state.ts";

/**
 * The state a reset clears (local): queues being worked on and the engine's
 * meta. A file whose dropped change the app had kept over the server's
 * version ("keep-local") gets back the record it had before: the device did
 * not take the server's version in, and a change of it queued again is a
 * conflict the app is asked about again.
 */
export async function localResetChanges(store: ClientStore): Promise<StoreChange[]> {
  const restored: StoreChange[] = [];
  for (const { key, value } of await store.list("files")) {
    if (value.heldBeforeKeepLocal === undefined) continue;
    restored.push(
      value.heldBeforeKeepLocal === null
        ? { op: "delete", collection: "files", key }
        : { op: "put", collection: "files", key, value: value.heldBeforeKeepLocal },
    );
  }
  return [
    ...restored,
    { op: "clear", collection: "uploadsBeingPrepared" },
    { op: "clear", collection: "committedUploads" },
    { op: "clear", collection: "beingUploaded" },
    { op: "clear", collection: "beingDownloaded" },
    { op: "clear", collection: "tusUploads" },
    { op: "delete", collection: "meta", key: metaKeys.lockKey },
    { op: "delete", collection: "meta", key: metaKeys.inbound },
    { op: "delete", collection: "meta", key: metaKeys.outbound },
  ];
}

/**
 * After resetServerState gave up the device's staged batch and lock: the
 * batch being uploaded (if any) is redone under the next grant.
 */
export async function serverResetChanges(store: ClientStore): Promise<StoreChange[]> {
  const state = await store.get("meta", metaKeys.outbound);
  if (!state) return [];
  return [
    {
      op: "put",
      collection: "meta",
      key: metaKeys.outbound,
      value: { ...state, commitSent: false, operationId: null, fencingToken: -1 } satisfies OutboundState,
    },
  ];
}

/**
 * Removes the client-owned copies of queued uploads that no pending
 * change refers to any more (uploaded, dropped by a conflict or a reset,
 * or replaced by a newer upload of the file before commit).
 */
export async function sweepUploadCopies<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<void> {
  const referenced: PreparedUpload["source"][] = [];
  for (const change of (await pendingChanges(ctx.store)).values()) {
    if (change.kind === "upload" && !change.immutable) referenced.push(change.source);
  }
  // Every change of every batch, not only the newest per file.
  for (const { value } of await ctx.store.list("committedUploads")) {
    for (const change of value.changes) if (change.kind === "upload") referenced.push(change.source);
  }
  await ctx.platform.sweepUploadCopies(referenced, ctx.copiesBeingQueued);
}
