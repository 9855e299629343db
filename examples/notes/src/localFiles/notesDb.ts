// The app's own copy of its files, in IndexedDB (idb): what the person sees
// and edits. The SDK keeps its queues in a database of its own; this one is
// written from the app's edits and from the SDK's saveDownload and
// applyDeletions callbacks.
import { openDB, type IDBPDatabase } from "idb";

export type FileKind = "note" | "attachment";

export interface NoteFile {
  fileUUID: string;
  /** The smsync cloudFileName: unique per account (case-insensitive). */
  name: string;
  kind: FileKind;
  mimeType: string;
  /** A note's text, or an attachment's bytes. */
  content: string | Blob;
  size: number;
  /** The version the server holds of what is here (null: not yet uploaded). */
  version: number | null;
  updatedAt: number;
}

export class NotesDb {
  private constructor(private readonly db: IDBPDatabase) {}

  static async open(name: string): Promise<NotesDb> {
    const db = await openDB(name, 1, {
      upgrade(database) {
        database.createObjectStore("files", { keyPath: "fileUUID" });
      },
    });
    return new NotesDb(db);
  }

  async all(): Promise<NoteFile[]> {
    const files = (await this.db.getAll("files")) as NoteFile[];
    return files.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(fileUUID: string): Promise<NoteFile | undefined> {
    return (await this.db.get("files", fileUUID)) as NoteFile | undefined;
  }

  async put(file: NoteFile): Promise<void> {
    await this.db.put("files", file);
  }

  async delete(fileUUID: string): Promise<void> {
    await this.db.delete("files", fileUUID);
  }

  close(): void {
    this.db.close();
  }
}
