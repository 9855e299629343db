// The users' cloud storage, as the transfers see it. Every place where a
// deployment differs (local directory, Google Drive) implements this, and
// each implementation passes test/cloud/cloudStorageContract.ts.
import type { Readable } from "node:stream";

export interface CloudObjectKey {
  userId: string;
  fileUUID: string;
  version: number;
}

export interface CloudObjectMetadata extends CloudObjectKey {
  cloudFileName: string;
  mimeType: string;
  sha256: string;
  size: number;
}

export interface CloudObject extends CloudObjectMetadata {
  objectId: string;
}

/**
 * Where a write keeps the cloud's resumable upload session (an opaque
 * string, e.g. Drive's session URI) across a crash of the process: the
 * transfer's file row. A backend without sessions never calls it.
 */
export interface UploadSessionRecord {
  /** The session an earlier write of this object opened, if any. */
  load(): Promise<string | null>;
  /** Records a new session (null: the old one is gone). */
  save(session: string | null): Promise<void>;
}

export interface CloudStorage {
  readonly name: string;
  /**
   * How many writes (readConcurrency: reads) a transfer runs at once against
   * this backend: its own limit (a rate limit, the disk's queue). A backend
   * that does not say gets one at a time (transferChunks.ts).
   */
  readonly writeConcurrency?: number;
  readonly readConcurrency?: number;
  /** The object written for (user, fileUUID, version), if any. Writes are made idempotent through it. */
  findObject(key: CloudObjectKey): Promise<CloudObject | null>;
  /**
   * Writes one object from a stream, verifying the content against sha256.
   * If an object with the same key and the same sha256 exists, returns it
   * without reading the content (a retried write); one with the same key
   * and other content (left by an abandoned transfer) is replaced. With a
   * session record, an upload that a crashed process left half-sent resumes
   * where the cloud got to.
   */
  writeObject(
    metadata: CloudObjectMetadata,
    content: () => Readable,
    session?: UploadSessionRecord,
  ): Promise<CloudObject>;
  /** The content of an object (start and end inclusive, as in HTTP Range). */
  readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable>;
  /** Removes an object; removing a missing one succeeds. */
  deleteObject(userId: string, objectId: string): Promise<void>;
  listObjects(userId: string): Promise<CloudObject[]>;
}
