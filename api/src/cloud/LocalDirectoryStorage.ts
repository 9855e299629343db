// The embedded default's cloud: a directory standing in for each user's
// drive. Object for (user, fileUUID, version):
//   <root>/<userId>/<fileUUID>.v<version>        the content
//   <root>/<userId>/<fileUUID>.v<version>.json   its metadata
// Both are written to a temporary name, fsynced, and renamed into place
// (the directory fsynced after each rename), content last: the content
// file existing is what makes the object exist, so a crash mid-write (or a
// power loss) leaves no object and a retried write finds a whole one.
// The temporary files of a write killed in mid-course are removed by the
// next write of the same object (a write of that object still running in a
// worker that lost its claim then fails, and is retried or given up).
// A write finds an existing object of the same content and returns it; an
// existing object of other content (left by an abandoned transfer) is
// replaced.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashingStream } from "../content/sha256.ts";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { isMissingFile } from "../errors/missingFile.ts";
import { makeDirectoryDurably, removeDurably, renameDurably } from "../durability/durableFiles.ts";
import type { CloudObject, CloudObjectKey, CloudObjectMetadata, CloudStorage } from "./CloudStorage.ts";
import { CloudStorageError } from "./CloudStorageError.ts";

const objectIdPattern = /^[0-9a-f-]{36}\.v\d+$/;

export class LocalDirectoryStorage implements CloudStorage {
  readonly name = "local";
  /** Small files cost a few fsyncs each, which the disk overlaps well; large ones stream at the disk's pace. */
  readonly writeConcurrency = 8;
  readonly readConcurrency = 8;

  constructor(private readonly root: string) {}

  private userDir(userId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(userId)) throw new CloudStorageError("permanent", `bad user id ${userId}`);
    return path.join(this.root, userId);
  }

  private contentPath(userId: string, objectId: string): string {
    if (!objectIdPattern.test(objectId)) throw new CloudStorageError("notFound", `no object ${objectId}`);
    return path.join(this.userDir(userId), objectId);
  }

  private objectIdOf(key: CloudObjectKey): string {
    return `${key.fileUUID}.v${key.version}`;
  }

  /** The object's metadata, as writeObject stored it beside its content. */
  private async readMetadata(userId: string, objectId: string): Promise<CloudObject> {
    const metadata = JSON.parse(
      await readFile(`${this.contentPath(userId, objectId)}.json`, "utf8"),
    ) as CloudObjectMetadata;
    return { ...metadata, objectId };
  }

  async findObject(key: CloudObjectKey): Promise<CloudObject | null> {
    const objectId = this.objectIdOf(key);
    try {
      await stat(this.contentPath(key.userId, objectId));
    } catch (error) {
      if (isMissingFile(error)) return null; // never written, or its write never finished
      throw error;
    }
    return this.readMetadata(key.userId, objectId);
  }

  // Looks for the object on every write, whatever the write's options say: here that costs a stat.
  async writeObject(metadata: CloudObjectMetadata, content: () => Readable): Promise<CloudObject> {
    const existing = await this.findObject(metadata);
    // Written before with this content (a retry, or a write whose answer was
    // lost): the same object, and no bytes sent again. With other content, it
    // was left by a transfer that failed and was abandoned, and this version
    // is being committed again with new content: it is replaced, or the index
    // would point at the wrong bytes.
    if (existing && existing.sha256 === metadata.sha256) return existing;
    const objectId = this.objectIdOf(metadata);
    const target = this.contentPath(metadata.userId, objectId);
    const tmpDir = path.join(this.userDir(metadata.userId), ".tmp");
    const tmpContent = path.join(tmpDir, `${objectId}.${randomUUID()}`);
    const tmpMetadata = `${tmpContent}.json`;
    try {
      await makeDirectoryDurably(tmpDir);
      // What an earlier write of this object left behind when its process was killed.
      for (const entry of await readdir(tmpDir)) {
        if (entry.startsWith(`${objectId}.`)) await rm(path.join(tmpDir, entry), { force: true });
      }
      const hashing = new HashingStream();
      await pipeline(content(), hashing, createWriteStream(tmpContent, { flush: true }));
      const sha256 = hashing.digest();
      if (sha256 !== metadata.sha256) {
        throw new CloudStorageError(
          "integrity",
          `content of ${objectId} has sha256 ${sha256}, expected ${metadata.sha256}`,
        );
      }
      await writeFile(tmpMetadata, JSON.stringify({ ...metadata, size: hashing.bytes }), { flush: true });
      // Each rename made durable before the next: the content must never be there without its metadata.
      await renameDurably(tmpMetadata, `${target}.json`);
      await renameDurably(tmpContent, target);
      return { ...metadata, size: hashing.bytes, objectId };
    } catch (error) {
      await rm(tmpContent, { force: true });
      await rm(tmpMetadata, { force: true });
      if (error instanceof CloudStorageError) throw error;
      throw writeFailure(objectId, error);
    }
  }

  async readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable> {
    const file = this.contentPath(userId, objectId);
    try {
      await stat(file);
    } catch (error) {
      // Only a missing file is a missing object; anything else (EIO, EMFILE) is retried.
      if (isMissingFile(error)) throw new CloudStorageError("notFound", `no object ${objectId}`, { cause: error });
      throw error;
    }
    return createReadStream(file, range ? { start: range.start, end: range.end } : undefined);
  }

  async deleteObject(userId: string, objectId: string): Promise<void> {
    const file = this.contentPath(userId, objectId);
    // Content first (the object is gone), then its metadata; durable before the caller records the removal,
    // or the object would come back after a power loss as an orphan in the user's drive.
    await removeDurably(file);
    await removeDurably(`${file}.json`);
  }

  async listObjects(userId: string): Promise<CloudObject[]> {
    let entries: string[];
    try {
      entries = await readdir(this.userDir(userId));
    } catch (error) {
      if (isMissingFile(error)) return []; // the user's directory is made by their first write
      throw error;
    }
    const objects: CloudObject[] = [];
    for (const objectId of entries.filter((entry) => objectIdPattern.test(entry)).sort()) {
      objects.push(await this.readMetadata(userId, objectId));
    }
    return objects;
  }
}

/** A failed write: a full file system waits for space (storageFull); anything else is retried as transient. */
function writeFailure(objectId: string, error: unknown): CloudStorageError {
  if (isFileSystemFull(error)) {
    return new CloudStorageError(
      "storageFull",
      `no room to write ${objectId}: the cloud directory's file system is full (${error.code})`,
      {
        cause: error,
      },
    );
  }
  return new CloudStorageError("transient", `writing ${objectId} failed: ${(error as Error).message}`, {
    cause: error,
  });
}
