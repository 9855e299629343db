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

export interface CloudStorage {
  readonly name: string;
  /** The object written for (user, fileUUID, version), if any. Writes are made idempotent through it. */
  findObject(key: CloudObjectKey): Promise<CloudObject | null>;
  /**
   * Writes one object from a stream; returns the existing object if one was
   * written for the same key before. Verifies the content against sha256.
   */
  writeObject(metadata: CloudObjectMetadata, content: () => Readable): Promise<CloudObject>;
  /** The content of an object (start and end inclusive, as in HTTP Range). */
  readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable>;
  /** Removes an object; removing a missing one succeeds. */
  deleteObject(userId: string, objectId: string): Promise<void>;
  listObjects(userId: string): Promise<CloudObject[]>;
}
