// The SDK's client for this device, with the app's callbacks: downloads and
// deletions from other devices go into the app's own database (NotesDb), and
// conflicts to the person (ConflictQueue). Each callback is idempotent by
// (fileUUID, version): the SDK may hand the same download again after a
// reload, until it has been acknowledged.
import { BrowserSmsyncClient, IndexedDbStore, type Conflict, type ConflictResolution } from "@smsync/client/browser";
import { kindOf } from "../localFiles/fileMeta.ts";
import type { NoteFile, NotesDb } from "../localFiles/notesDb.ts";
import type { Session } from "../session.ts";
import type { ConflictQueue } from "./conflictQueue.ts";

export interface NotesClientHooks {
  /** A file of another device was saved or removed here. */
  arrived: (text: string) => void;
  /** The person chose "keep both": their version is to be queued again as a new file. */
  keepCopy: (local: NoteFile) => void;
}

export async function openNotesClient(
  session: Session,
  storageName: string,
  db: NotesDb,
  conflicts: ConflictQueue,
  hooks: NotesClientHooks,
): Promise<BrowserSmsyncClient> {
  return BrowserSmsyncClient.open({
    serverUrl: session.serverUrl,
    token: session.token,
    store: await IndexedDbStore.open(storageName),
    callbacks: {
      async saveDownload(file) {
        const kind = kindOf(file.appMetaData);
        await db.put({
          fileUUID: file.fileUUID,
          name: file.cloudFileName,
          kind,
          mimeType: file.mimeType,
          content: kind === "note" ? await file.blob.text() : file.blob,
          size: file.size,
          version: file.version,
          updatedAt: Date.now(),
        });
        hooks.arrived(`“${file.cloudFileName}” arrived (version ${file.version})`);
      },
      async applyDeletions(files) {
        for (const file of files) {
          await db.delete(file.fileUUID);
          hooks.arrived(`“${file.cloudFileName}” was deleted on another device`);
        }
      },
      async resolveConflict(conflict: Conflict): Promise<ConflictResolution> {
        const local = await db.get(conflict.fileUUID);
        const choice = await conflicts.ask(conflict, local?.name ?? conflict.remote.cloudFileName);
        // Queued after this answer, not within it: the pass goes on with the server's version of the original.
        if (choice === "keep-both" && local) queueMicrotask(() => hooks.keepCopy(local));
        return choice === "keep-mine" ? "keep-local" : "accept-remote";
      },
    },
  });
}
