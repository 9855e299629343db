// The scan's uploads queued through uploadFiles a group at a time, rather
// than one uploadFile each: a group's files are hashed and hard-linked into
// the work folder several at once (copied where the file system cannot
// link) and queued in one store commit. A link means no byte is written
// again before the upload, and a write into the file meanwhile sends the
// bytes it has then (UploadFilesOptions). A group is all or nothing, so a
// file whose name the account refuses (CLOUD_NAME_TAKEN, BAD_INPUT; the
// error names it) is left out, reported, and the rest of its group queued
// again without it; so is a file that is gone or no longer a file since the
// scan. A retry costs a read of the store and the group's links made again.
import type { FileToUpload, SmsyncClient } from "../SmsyncClient.ts";
import { groupsWithin } from "../engine/groupsWithin.ts";
import { ClientUsageError } from "../queues/ClientUsageError.ts";

/**
 * Files per uploadFiles call. Each call reads the store's pending uploads
 * whole to check the group's names (once: the files are linked), so the
 * groups are large: 10,000 files make 5 reads of up to 8,000 pending
 * uploads, where 20 groups of 500, each checked twice, made 40 of up to
 * 9,500 (0.7 s of the CLI's CPU).
 */
const groupFiles = 2000;
/** Bytes per uploadFiles call: a group's files are all hashed before it is queued. */
const groupBytes = 64 * 1024 * 1024;
/** Files linked rather than copied: all of them (where the file system can link). */
const linkAtLeastBytes = 0;

/**
 * A refusal that leaves one file out rather than stopping the sync: its name
 * (the person renames it), or the file gone or no longer a file since the
 * scan (the next scan sees what it became).
 */
function isFileRefusal(error: unknown): error is ClientUsageError & { fileUUID: string } {
  return (
    error instanceof ClientUsageError &&
    (error.code === "CLOUD_NAME_TAKEN" || error.code === "BAD_INPUT" || error.code === "NOT_A_FILE") &&
    error.fileUUID !== undefined
  );
}

/**
 * Queues the files; resolves with those queued, in order, each with the
 * sha256 and size of the bytes queued (those of the copy, which may differ
 * from a scan's if the file changed since). `refused` is told of each file
 * left out, and why.
 */
export async function queueFolderUploads<F extends FileToUpload & { size: number }>(
  client: Pick<SmsyncClient, "uploadFiles">,
  files: readonly F[],
  refused: (file: F, error: ClientUsageError) => void,
): Promise<(F & { sha256: string })[]> {
  const queued: (F & { sha256: string })[] = [];
  for (let group of groupsWithin(files, { count: groupFiles, bytes: groupBytes }, (file) => file.size)) {
    while (group.length > 0) {
      try {
        const copies = new Map(
          (await client.uploadFiles(group, { linkAtLeastBytes })).map((copy) => [copy.fileUUID, copy]),
        );
        for (const file of group) {
          const copy = copies.get(file.fileUUID);
          if (!copy) throw new Error(`uploadFiles did not report ${file.fileUUID}`);
          queued.push({ ...file, sha256: copy.sha256, size: copy.size });
        }
        break;
      } catch (error) {
        const left = isFileRefusal(error) ? group.find((file) => file.fileUUID === error.fileUUID) : undefined;
        if (!left) throw error;
        refused(left, error as ClientUsageError);
        group = group.filter((file) => file !== left);
      }
    }
  }
  return queued;
}
