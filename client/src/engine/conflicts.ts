// Step 2's conflicts: a server change against a pending local change of the
// same file goes to the app's resolveConflict. keep-local: this device takes
// the server's version in under its change, which then goes up on top of it
// (no conflict is seen again); accept-remote: the change is dropped, and the
// next plan downloads the server's version or applies its deletion.
import { SmsyncClientError } from "../errors.ts";
import { heldFile, type LocalFile } from "../queues/records.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import type { EngineContext } from "./EngineContext.ts";
import { ConflictsNotImplementedError } from "./engineErrors.ts";
import { dropPendingChanges, fileRecord, localFiles } from "./localFiles.ts";
import type { Conflict, IndexEntry } from "./planDownloads.ts";

/** Asks the app about each conflict, then settles them all in one commit. */
export async function resolveConflicts<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  conflicts: Conflict[],
): Promise<void> {
  const { callbacks } = ctx;
  if (!callbacks.resolveConflict)
    throw new ConflictsNotImplementedError(conflicts.map((conflict) => conflict.fileUUID));
  const keep: Conflict[] = [];
  const accept = new Set<string>();
  for (const conflict of conflicts) {
    const resolution = await callbacks.resolveConflict(conflict);
    if (resolution === "keep-local") keep.push(conflict);
    else if (resolution === "accept-remote") accept.add(conflict.fileUUID);
    else
      throw new SmsyncClientError(
        "BAD_RESOLUTION",
        `resolveConflict answered ${JSON.stringify(resolution)} for ${conflict.fileUUID}`,
      );
  }
  const files = await localFiles(ctx.store);
  await ctx.store.commit([
    ...keep.map((conflict) => keptLocalOver(conflict.remote, files.get(conflict.fileUUID))),
    ...(await dropPendingChanges(ctx.store, accept)),
  ]);
}

/**
 * The record after the app kept its change over the server's version: the server's, remembering what the device held
 * before (before the first such answer), which a local reset gives back (reset.ts).
 */
export function keptLocalOver(remote: IndexEntry, held: LocalFile | undefined): StoreChange {
  const before =
    held === undefined ? null : held.heldBeforeKeepLocal !== undefined ? held.heldBeforeKeepLocal : heldFile(held);
  return {
    op: "put",
    collection: "files",
    key: remote.fileUUID,
    value: { ...fileRecord(remote), heldBeforeKeepLocal: before },
  };
}
