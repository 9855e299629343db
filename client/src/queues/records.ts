// What the queues hold, as stored in the client store (JSON).

/**
 * Where an upload's bytes come from: a file on disk (Node), data given inline
 * (small payloads), or a Blob the browser client copied into IndexedDB
 * (browser/UploadCopyStore.ts) under this key.
 */
export type UploadSource = { path: string } | { base64: string } | { blobKey: string };

export interface PreparedUpload {
  kind: "upload";
  fileUUID: string;
  source: UploadSource;
  cloudFileName: string;
  mimeType: string;
  appMetaData: string | null;
  sha256: string;
  size: number;
  /** The app promises the bytes at `source` will not change (uploadImmutableFile): no copy needed. */
  immutable: boolean;
  /**
   * `source` is a hard link to the app's file (uploadFiles' linkAtLeastBytes),
   * not a copy: a write into that file changes it, and the engine then sends
   * the bytes the file has when it goes up, hashed again.
   */
  linked?: boolean;
  queuedAt: string;
}

export interface PreparedDeletion {
  kind: "delete";
  fileUUID: string;
  queuedAt: string;
}

export type PreparedChange = PreparedUpload | PreparedDeletion;

/** One commit of the app: the changes prepared before it, uploaded together. */
export interface CommittedBatch {
  batch: number;
  changes: PreparedChange[];
  committedAt: string;
}

/** What the client knows of a file: the version it holds, as the server last confirmed it. */
export interface LocalFile {
  fileUUID: string;
  /** The server version this device holds; null before the first upload is committed. */
  version: number | null;
  sha256: string;
  cloudFileName: string;
  mimeType: string;
  appMetaData: string | null;
  deleted: boolean;
  /**
   * Set while the app's change of the file, kept over the server's version
   * ("keep-local"), is not yet confirmed: what the device held before it
   * adopted the server's version under that change (null: nothing). A reset
   * that drops the change restores it, so the device's record is again what
   * the server confirmed to it, and a change queued again meets the
   * server's version as a conflict: resolveConflict is asked again.
   */
  heldBeforeKeepLocal?: HeldFile | null;
}

/** A file's record without its keep-local memory. */
export type HeldFile = Omit<LocalFile, "heldBeforeKeepLocal">;

/** The record as the server confirmed it, without the memory of a keep-local answer. */
export function heldFile(file: LocalFile): HeldFile {
  const { heldBeforeKeepLocal: _kept, ...held } = file;
  return held;
}
