// What the person does, as SDK calls: a note is queued with uploadData (its
// text, small), an attachment with uploadBlob (copied into IndexedDB, so it
// survives a reload before it goes up); a rename is a new version under
// another name; then commit(). Live mode starts the pass that uploads it,
// now or when the network returns.
import { ClientUsageError, isErrorMode, type BrowserSmsyncClient, type UploadOptions } from "@smsync/client/browser";
import { appMetaDataOf } from "./localFiles/fileMeta.ts";
import { freeName } from "./localFiles/freeName.ts";
import type { NoteFile, NotesDb } from "./localFiles/notesDb.ts";
import type { Store } from "./state.ts";

const noteMimeType = "text/plain";

export class NotesActions {
  constructor(
    private readonly client: BrowserSmsyncClient,
    private readonly db: NotesDb,
    private readonly store: Store,
  ) {}

  /** Reads the files and what is still pending into the page's state. */
  async refresh(): Promise<void> {
    const files = await this.db.all();
    // In an error mode the client answers nothing but resetFromError.
    if (isErrorMode(this.client.mode)) {
      this.store.update({ files: files.map((file) => ({ ...file, pending: true })) });
      return;
    }
    const statuses = await Promise.all(files.map((file) => this.client.localFileStatus(file.fileUUID)));
    const work = await this.client.pendingWork();
    this.store.update({
      files: files.map((file, i) => ({ ...file, pending: statuses[i]?.pending != null })),
      pendingUploads: work.uploads + work.deletions,
    });
  }

  /** Runs an action of the person's; a refusal (a taken name, ...) is shown to them. */
  run(action: Promise<unknown>): void {
    this.store.update({ problem: null, busy: this.store.state.busy + 1 });
    action
      .catch((error: unknown) => {
        const code = error instanceof ClientUsageError ? ` (${error.code})` : "";
        this.store.update({ problem: `${error instanceof Error ? error.message : String(error)}${code}` });
      })
      .then(() => this.refresh())
      .finally(() => this.store.update({ busy: this.store.state.busy - 1 }))
      // Reading the app's own database failed: nothing the person can act on.
      .catch((error: unknown) => console.error("refresh failed", error));
  }

  async newNote(): Promise<void> {
    const file = this.record("note", await this.nameFor("Untitled note.txt"), noteMimeType, "");
    await this.client.uploadData(file.fileUUID, new Uint8Array(), this.options(file));
    await this.db.put(file);
    await this.commit();
    this.store.update({ selected: file.fileUUID });
  }

  async saveNote(fileUUID: string, name: string, text: string): Promise<void> {
    const existing = await this.db.get(fileUUID);
    if (!existing) return;
    const file: NoteFile = {
      ...existing,
      name: name.trim(),
      content: text,
      size: new Blob([text]).size,
      updatedAt: Date.now(),
    };
    // The SDK checks the name first (BAD_INPUT, CLOUD_NAME_TAKEN): nothing is stored if it refuses.
    await this.client.uploadData(fileUUID, new TextEncoder().encode(text), this.options(file));
    await this.db.put(file);
    await this.commit();
  }

  async addAttachments(files: readonly File[]): Promise<void> {
    for (const blob of files) {
      const file = this.record(
        "attachment",
        await this.nameFor(blob.name),
        blob.type || "application/octet-stream",
        blob,
      );
      await this.client.uploadBlob(file.fileUUID, blob, this.options(file));
      await this.db.put(file);
    }
    await this.commit();
  }

  /** An attachment under another name: a new version of the same bytes. */
  async renameAttachment(fileUUID: string, name: string): Promise<void> {
    const existing = await this.db.get(fileUUID);
    if (!existing || !(existing.content instanceof Blob)) return;
    const file: NoteFile = { ...existing, name: name.trim(), updatedAt: Date.now() };
    await this.client.uploadBlob(fileUUID, existing.content, this.options(file));
    await this.db.put(file);
    await this.commit();
  }

  async delete(fileUUID: string): Promise<void> {
    await this.client.deleteFile(fileUUID);
    await this.db.delete(fileUUID);
    await this.commit();
    if (this.store.state.selected === fileUUID) this.store.update({ selected: null });
  }

  /** "Keep both": the person's version of a conflicting file goes up again as a new file beside the server's. */
  async keepCopy(local: NoteFile): Promise<void> {
    const copy = this.record(
      local.kind,
      await this.nameFor(conflictCopyName(local.name)),
      local.mimeType,
      local.content,
    );
    const options = this.options(copy);
    if (typeof copy.content === "string") {
      await this.client.uploadData(copy.fileUUID, new TextEncoder().encode(copy.content), options);
    } else {
      await this.client.uploadBlob(copy.fileUUID, copy.content, options);
    }
    await this.db.put(copy);
    await this.commit();
  }

  /** Leaves an error mode: the device's staged uploads and lock on the server are given up, its queued changes kept. */
  async reset(): Promise<void> {
    await this.client.resetFromError("server");
    await this.client.sync();
  }

  /**
   * Closes the queued changes into a batch. In live mode the SDK starts the
   * pass that uploads it; while live mode is not running (it could not start
   * yet, or the token was refused) the pass is started here, not awaited: how
   * it ends is the client's mode (modeChanged), shown in the status.
   */
  private async commit(): Promise<void> {
    await this.client.commit();
    if (!this.client.live) this.client.sync().catch(() => undefined);
  }

  private record(kind: NoteFile["kind"], name: string, mimeType: string, content: string | Blob): NoteFile {
    const size = typeof content === "string" ? new Blob([content]).size : content.size;
    return { fileUUID: crypto.randomUUID(), name, kind, mimeType, content, size, version: null, updatedAt: Date.now() };
  }

  private options(file: NoteFile): UploadOptions {
    return { cloudFileName: file.name, mimeType: file.mimeType, appMetaData: appMetaDataOf(file.kind) };
  }

  private async nameFor(wanted: string): Promise<string> {
    return freeName(
      wanted,
      (await this.db.all()).map((file) => file.name),
    );
  }
}

function conflictCopyName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (conflict copy)${name.slice(dot)}` : `${name} (conflict copy)`;
}
