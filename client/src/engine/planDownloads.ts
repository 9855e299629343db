// Step 2 of a sync pass: compare the server's file index with what this
// device holds and what it has pending, and decide what to download, what
// deletions to apply, and what conflicts the app must resolve.
import type { FileIndexQuery } from "../graphql/generated/graphql.ts";
import type { LocalFile, PreparedChange } from "../queues/records.ts";

/** An entry of the server's file index, as the FileIndex query returns it (generated from the schema). */
export type IndexEntry = Omit<FileIndexQuery["fileIndex"]["files"][number], "updatedAt">;

export interface Conflict {
  fileUUID: string;
  /** What the device has pending for the file. */
  local: "upload" | "delete";
  /** What the server has: a newer version, or the file deleted. */
  remote: IndexEntry;
}

export interface DownloadPlan {
  /** Newer versions to fetch (or first versions of files this device has never had). */
  downloads: IndexEntry[];
  /** Files the server deleted that this device still holds. */
  deletions: IndexEntry[];
  conflicts: Conflict[];
  /**
   * Files where the server already has what is pending here (the same
   * content, or the file deleted on both sides): adopt the server's entry,
   * drop the pending change, transfer nothing.
   */
  alreadyApplied: IndexEntry[];
}

/**
 * `pending` is every local change not yet confirmed by the server: prepared,
 * committed and being uploaded, the newest per file.
 */
export function planDownloads(
  index: IndexEntry[],
  local: Map<string, LocalFile>,
  pending: Map<string, PreparedChange>,
): DownloadPlan {
  const plan: DownloadPlan = { downloads: [], deletions: [], conflicts: [], alreadyApplied: [] };
  for (const entry of index) {
    const held = local.get(entry.fileUUID);
    const heldVersion = held?.version ?? null;
    const serverMovedOn = heldVersion === null || entry.version > heldVersion || (entry.deleted && !held?.deleted);
    if (!serverMovedOn) continue;
    if (entry.deleted && heldVersion === null) continue; // never had it, nothing to delete
    const change = pending.get(entry.fileUUID);
    if (change) {
      const sameContent = change.kind === "upload" && !entry.deleted && change.sha256 === entry.sha256;
      const deletedOnBothSides = change.kind === "delete" && entry.deleted;
      if (sameContent || deletedOnBothSides) plan.alreadyApplied.push(entry);
      else plan.conflicts.push({ fileUUID: entry.fileUUID, local: change.kind, remote: entry });
      continue;
    }
    if (entry.deleted) plan.deletions.push(entry);
    else plan.downloads.push(entry);
  }
  return plan;
}
