// The users' cloud storage, as the transfers see it. Every place where a
// deployment differs (local directory, Google Drive) implements this, and
// each implementation passes test/cloud/cloudStorageContract.ts.
import type { Readable } from "node:stream";
import type { InOrderOutcome } from "../concurrency/runInOrder.ts";
import type { DeferredDirectorySyncs } from "../durability/DeferredDirectorySyncs.ts";

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
 * Where a write keeps what it must know after a crash of the process: the
 * transfer's file row. An opaque string a backend defines (Drive: the
 * resumable session's URI, or a marker that a one-request upload was sent).
 * A backend that needs nothing of the kind never calls it.
 */
export interface UploadSessionRecord {
  /** What an earlier write of this object recorded, if anything. */
  load(): Promise<string | null>;
  /** Records it (null: the old one is gone). */
  save(session: string | null): Promise<void>;
}

export interface WriteOptions {
  /** The transfer's file row, where the write keeps its session across a crash. */
  session?: UploadSessionRecord;
  /**
   * An earlier attempt at this (fileUUID, version) may have taken effect
   * beyond what the session record says (a given-up batch wrote the key):
   * look for the object before writing.
   */
  mayAlreadyExist?: boolean;
  /**
   * A local file holding the same content, durable, never written again,
   * and checked against the metadata's sha256 already (a committed staged
   * upload, checked as its bytes arrived): a backend on its file system may
   * link it rather than copy the stream, and need not hash it again.
   */
  sourceFile?: string;
  /**
   * Where a backend that makes local names may leave their directories'
   * fsyncs: the caller flushes them before it records the write.
   */
  directorySyncs?: DeferredDirectorySyncs;
}

/** One object of writeObjectsFromFiles: its metadata, and the local file holding its content (as WriteOptions.sourceFile, checked). */
export interface FileObjectWrite {
  metadata: CloudObjectMetadata;
  sourceFile: string;
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
   * A write that an earlier attempt may have made already (`mayAlreadyExist`,
   * or a session record that an earlier write of this object filled in) is
   * idempotent by key: an object with the same key and the same sha256 is
   * returned without reading the content; one with the same key and other
   * content (left by an abandoned transfer) is replaced. A backend whose
   * writes are idempotent by key anyway (a local directory) may ignore both.
   * With a session record, an upload that a crashed process left half-sent
   * resumes where the cloud got to.
   */
  writeObject(metadata: CloudObjectMetadata, content: () => Readable, options?: WriteOptions): Promise<CloudObject>;
  /**
   * For a backend that does better with many writes together than one by one
   * (the local directory: one metadata file and one directory fsync for the
   * lot, the contents linked): writes objects of one user whose contents are
   * local files that are durable and never written again (committed staged
   * uploads). Each is what writeObject with `sourceFile` does, idempotent by
   * key the same way. The results are in order, up to the first write that
   * failed, none after it (runInOrder); the names made are left to
   * `directorySyncs`.
   */
  writeObjectsFromFiles?(
    writes: FileObjectWrite[],
    directorySyncs: DeferredDirectorySyncs,
  ): Promise<InOrderOutcome<FileObjectWrite, CloudObject>>;
  /** The content of an object (start and end inclusive, as in HTTP Range). */
  readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable>;
  /**
   * For a backend of local files: makes `to` a hard link to the object's
   * content (an object's content is never written in place, so the link
   * stays whole whatever becomes of the object). False when it cannot (no
   * such method, another file system): read the object instead. The new
   * name is not made durable: the caller fsyncs its directory.
   */
  linkObject?(userId: string, objectId: string, to: string): Promise<boolean>;
  /**
   * For a backend of local files: the sha256 of the object's content, read
   * through `link` (a hard link linkObject made), when the backend checked it
   * as it placed the content and the file is unchanged since; undefined when
   * it cannot say (then hash the bytes).
   */
  knownSha256?(userId: string, objectId: string, link: string): string | undefined;
  /** Removes an object; removing a missing one succeeds. */
  deleteObject(userId: string, objectId: string): Promise<void>;
  listObjects(userId: string): Promise<CloudObject[]>;
}
