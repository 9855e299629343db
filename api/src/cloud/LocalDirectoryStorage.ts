// The embedded default's cloud: a directory standing in for each user's
// drive. Object for (user, fileUUID, version):
//   <root>/<userId>/<fileUUID>.v<version>        the content
//   <root>/<userId>/<fileUUID>.v<version>.json   its metadata
// Both are written to a temporary name, fsynced, and renamed into place,
// metadata first and made durable (its directory fsynced) before the content
// is renamed: the content file existing is what makes the object exist, so a
// crash mid-write (or a power loss) leaves no object and a retried write
// finds a whole one. The content's name is made durable by an fsync of the
// directory too, or, when the caller gathers them (directorySyncs), by the
// caller's one fsync of the directory before it records the write.
// The temporary files of a write killed in mid-course are removed by the
// next write of the same object (a write of that object still running in a
// worker that lost its claim then fails, and is retried or given up).
// A write finds an existing object of the same content and returns it; an
// existing object of other content (left by an abandoned transfer) is
// replaced.
//
// Hard links: content given as a local file (a committed staged upload) on
// this file system is linked into place instead of copied; a staged
// download is linked from an object (linkObject). Both names then share the
// bytes, which is safe because neither is ever written in place: an object
// is only ever replaced by a rename and removed by an unlink, and a staged
// upload is not written once complete (tus refuses bytes past its length, a
// batch upload writes new files only) nor once committed; staging removes
// its names by unlink too. Where a link cannot be made (another file
// system, no hard links) the bytes are copied as before.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashingStream, sha256OfFile } from "../content/sha256.ts";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { isMissingFile } from "../errors/missingFile.ts";
import { makeDirectoryDurably, removeDurably } from "../durability/durableFiles.ts";
import { syncDirectoryShared } from "../durability/sharedDirectorySync.ts";
import { crashPoint } from "../faults/crashPoints.ts";
import type { CloudObject, CloudObjectKey, CloudObjectMetadata, CloudStorage, WriteOptions } from "./CloudStorage.ts";
import { CloudStorageError } from "./CloudStorageError.ts";
import { linkFile, linkIfPossible, type LinkFile } from "./hardLinks.ts";

export interface LocalDirectoryOptions {
  /** How hard links are made (fs.link); a test replaces it to make linking fail. */
  linkFile?: LinkFile;
}

const objectIdPattern = /^[0-9a-f-]{36}\.v\d+$/;

export class LocalDirectoryStorage implements CloudStorage {
  readonly name = "local";
  /** Small files cost a few fsyncs each, which the disk overlaps well; large ones stream at the disk's pace. */
  readonly writeConcurrency = 8;
  readonly readConcurrency = 8;

  private readonly linkFile: LinkFile;

  constructor(
    private readonly root: string,
    options: LocalDirectoryOptions = {},
  ) {
    this.linkFile = options.linkFile ?? linkFile;
  }

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
  async writeObject(
    metadata: CloudObjectMetadata,
    content: () => Readable,
    options: WriteOptions = {},
  ): Promise<CloudObject> {
    const existing = await this.findObject(metadata);
    const dir = this.userDir(metadata.userId);
    // Written before with this content (a retry, or a write whose answer was
    // lost): the same object, and no bytes sent again. With other content, it
    // was left by a transfer that failed and was abandoned, and this version
    // is being committed again with new content: it is replaced, or the index
    // would point at the wrong bytes.
    if (existing && existing.sha256 === metadata.sha256) {
      // A write killed between its rename and its directory's fsync left a name that may not be durable yet.
      await this.syncNames(dir, options);
      return existing;
    }
    const objectId = this.objectIdOf(metadata);
    const target = this.contentPath(metadata.userId, objectId);
    const tmpDir = path.join(dir, ".tmp");
    const tmpContent = path.join(tmpDir, `${objectId}.${randomUUID()}`);
    const tmpMetadata = `${tmpContent}.json`;
    try {
      await makeDirectoryDurably(tmpDir);
      // What an earlier write of this object left behind when its process was killed.
      for (const entry of await readdir(tmpDir)) {
        if (entry.startsWith(`${objectId}.`)) await rm(path.join(tmpDir, entry), { force: true });
      }
      const { sha256, bytes } = await this.placeContent(tmpContent, content, options.sourceFile);
      if (sha256 !== metadata.sha256) {
        throw new CloudStorageError(
          "integrity",
          `content of ${objectId} has sha256 ${sha256}, expected ${metadata.sha256}`,
        );
      }
      await writeFile(tmpMetadata, JSON.stringify({ ...metadata, size: bytes }), { flush: true });
      // The metadata's name durable before the content's exists: the content must never be there without it.
      await rename(tmpMetadata, `${target}.json`);
      await syncDirectoryShared(dir);
      await rename(tmpContent, target);
      await this.syncNames(dir, options);
      return { ...metadata, size: bytes, objectId };
    } catch (error) {
      await rm(tmpContent, { force: true });
      await rm(tmpMetadata, { force: true });
      if (error instanceof CloudStorageError) throw error;
      throw writeFailure(objectId, error);
    }
  }

  /**
   * The content at `tmp`, durable, with its sha256: a link to the source
   * file where one can be made (its bytes are durable already), else a copy
   * of the stream, fsynced.
   */
  private async placeContent(
    tmp: string,
    content: () => Readable,
    sourceFile: string | undefined,
  ): Promise<{ sha256: string; bytes: number }> {
    if (sourceFile && (await linkIfPossible(this.linkFile, sourceFile, tmp))) {
      // The point of a crash with the object's content partly in place, as in the copy's stream.
      crashPoint("outbound.midCloudWrite");
      // Checked as a copy would be: the bytes the object will have are the source's.
      return sha256OfFile(tmp);
    }
    const hashing = new HashingStream();
    await pipeline(content(), hashing, createWriteStream(tmp, { flush: true }));
    return { sha256: hashing.digest(), bytes: hashing.bytes };
  }

  /** The names just made in `dir` made durable: now, or by the caller's fsync of the directory before it records them. */
  private async syncNames(dir: string, options: WriteOptions): Promise<void> {
    if (options.directorySyncs) options.directorySyncs.add(dir);
    else await syncDirectoryShared(dir);
  }

  async linkObject(userId: string, objectId: string, to: string): Promise<boolean> {
    try {
      return await linkIfPossible(this.linkFile, this.contentPath(userId, objectId), to);
    } catch (error) {
      if (isMissingFile(error)) throw new CloudStorageError("notFound", `no object ${objectId}`, { cause: error });
      throw error;
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
