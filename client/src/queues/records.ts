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
}
