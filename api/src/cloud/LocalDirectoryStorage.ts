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
// Many objects from local files at once (writeObjectsFromFiles, a transfer's
// chunk): their metadata go into one file, fsynced once, which each
// object's `.json` name then links to (a metadata file holds either one
// object's metadata or `{ "objects": { <objectId>: ... } }`); one fsync of
// the directory makes those names durable, and only then is each content
// linked into place. Six file system calls an object instead of fifteen,
// and one fsync a batch instead of one an object. A name already there (a
// retry after a crash) is kept when it says the same (the same metadata,
// the same bytes) and replaced by a rename otherwise.
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
//
// A linked source is not hashed again, only its size checked: its bytes
// were checked against their sha256 as they arrived in staging (the
// caller's promise, WriteOptions.sourceFile), and the object is the same
// inode, so a second hash would guard only the seconds between the two, at
// the cost of reading every byte again. Copied content is hashed as it is
// copied.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashingStream, sha256OfFile } from "../content/sha256.ts";
import { KnownContents } from "./KnownContents.ts";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";
import { isMissingFile } from "../errors/missingFile.ts";
import { makeDirectoryDurably, removeDurably } from "../durability/durableFiles.ts";
import { syncDirectoryShared } from "../durability/sharedDirectorySync.ts";
import { crashPoint } from "../faults/crashPoints.ts";
import { InOrderSteps, runInOrder, type InOrderOutcome } from "../concurrency/runInOrder.ts";
import type { DeferredDirectorySyncs } from "../durability/DeferredDirectorySyncs.ts";
import type {
  CloudObject,
  CloudObjectKey,
  CloudObjectMetadata,
  CloudStorage,
  FileObjectWrite,
  WriteOptions,
} from "./CloudStorage.ts";
import { CloudStorageError } from "./CloudStorageError.ts";
import { linkFile, linkIfPossible, type LinkFile } from "./hardLinks.ts";

export interface LocalDirectoryOptions {
  /** How hard links are made (fs.link); a test replaces it to make linking fail. */
  linkFile?: LinkFile;
}

const objectIdPattern = /^[0-9a-f-]{36}\.v\d+$/;

/** Bytes an object is read by at a time. */
const objectReadBytes = 1024 * 1024;

export class LocalDirectoryStorage implements CloudStorage {
  readonly name = "local";
  /** Small files cost a few fsyncs each, which the disk overlaps well; large ones stream at the disk's pace. */
  readonly writeConcurrency = 8;
  readonly readConcurrency = 8;

  private readonly linkFile: LinkFile;
  private readonly knownContents = new KnownContents();

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

  /** The object's metadata, as a write stored it beside its content (alone, or in its batch's file). */
  private async readMetadata(userId: string, objectId: string, parsed?: Map<string, unknown>): Promise<CloudObject> {
    const text = await readFile(`${this.contentPath(userId, objectId)}.json`, "utf8");
    // A batch's objects share one file: listing them parses it once, not once an object.
    const stored = (parsed?.get(text) ?? JSON.parse(text)) as StoredMetadata;
    parsed?.set(text, stored);
    const metadata = "objects" in stored ? stored.objects[objectId] : stored;
    if (!metadata) throw new CloudStorageError("permanent", `the metadata file of ${objectId} does not describe it`);
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
      const { sha256, bytes } = await this.placeContent(tmpContent, content, options.sourceFile, metadata);
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
      this.knownContents.forget(target);
      await rename(tmpContent, target);
      this.knownContents.remember(target, sha256);
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
    metadata: CloudObjectMetadata,
  ): Promise<{ sha256: string; bytes: number }> {
    if (sourceFile && (await linkIfPossible(this.linkFile, sourceFile, tmp))) {
      // The point of a crash with the object's content partly in place, as in the copy's stream.
      crashPoint("outbound.midCloudWrite");
      return { sha256: metadata.sha256, bytes: checkedSize((await stat(tmp)).size, metadata) };
    }
    const hashing = new HashingStream();
    await pipeline(content(), hashing, createWriteStream(tmp, { flush: true }));
    return { sha256: hashing.digest(), bytes: hashing.bytes };
  }

  async writeObjectsFromFiles(
    writes: FileObjectWrite[],
    directorySyncs: DeferredDirectorySyncs,
  ): Promise<InOrderOutcome<FileObjectWrite, CloudObject>> {
    const userId = writes[0]?.metadata.userId;
    if (userId === undefined || writes.some((write) => write.metadata.userId !== userId)) {
      return this.writeEachFromFile(writes, directorySyncs);
    }
    const dir = this.userDir(userId);
    const tmpDir = path.join(dir, ".tmp");
    const batch = new InOrderSteps(writes);
    try {
      await this.makeTmpDir(tmpDir);
      await removeLeftovers(
        tmpDir,
        writes.map(({ metadata }) => this.objectIdOf(metadata)),
      );
    } catch (error) {
      this.tmpDirsMade.delete(tmpDir); // removed under us, perhaps: made again by the retry
      return batch.failAll(writeFailure(this.objectIdOf(writes[0]!.metadata), error));
    }

    // The sources' sizes (their bytes were checked as they arrived). A source gone (its object written and
    // its staging removed before a crash) is written by writeObject, which finds it.
    const sources = await batch.step(this.writeConcurrency, (write) =>
      checkedSource(write, this.objectIdOf(write.metadata)),
    );
    const batchMetadata = path.join(tmpDir, `${this.objectIdOf(writes[0]!.metadata)}.${randomUUID()}.objects.json`);
    if (sources.some((source) => source !== null)) {
      const objects = Object.fromEntries(
        batch.live.flatMap((write, index) =>
          sources[index] ? [[this.objectIdOf(write.metadata), { ...write.metadata, size: sources[index].bytes }]] : [],
        ),
      );
      try {
        await writeFile(batchMetadata, JSON.stringify({ objects }), { flush: true });
        // Where hard links cannot be made, each object is written on its own.
        if (!(await linkIfPossible(this.linkFile, batchMetadata, `${batchMetadata}.probe`))) {
          await rm(batchMetadata, { force: true });
          directorySyncs.add(tmpDir);
          return this.writeEachFromFile(writes, directorySyncs);
        }
        await rm(`${batchMetadata}.probe`, { force: true });
      } catch (error) {
        await rm(batchMetadata, { force: true });
        directorySyncs.add(tmpDir);
        return batch.failAll(writeFailure(this.objectIdOf(writes[0]!.metadata), error));
      }
    }
    try {
      // The metadata's names durable before any content's exists: the content must never be there without it.
      await batch.step(this.writeConcurrency, async (write, index) => {
        if (!sources[index]) return;
        await this.placeMetadata(batchMetadata, { ...write.metadata, size: sources[index].bytes }, tmpDir);
      });
      try {
        await syncDirectoryShared(dir);
      } catch (error) {
        return batch.failAll(writeFailure(this.objectIdOf(writes[0]!.metadata), error));
      }
      await batch.step(this.writeConcurrency, async (write, index): Promise<void> => {
        const source = sources[index];
        if (!source) {
          await this.writeObject(write.metadata, () => createReadStream(write.sourceFile), {
            sourceFile: write.sourceFile,
            directorySyncs,
          });
          return;
        }
        // The point of a crash with the object's metadata in place and not its content.
        crashPoint("outbound.midCloudWrite");
        const objectId = this.objectIdOf(write.metadata);
        await this.placeLinkedContent(write, this.contentPath(userId, objectId), tmpDir, objectId);
      });
      directorySyncs.add(dir);
    } finally {
      await rm(batchMetadata, { force: true });
      // Its removal (and the probe's) durable too: nothing of the cloud's comes back after a power loss.
      directorySyncs.add(tmpDir);
    }
    return batch.outcome((write, index) => ({
      ...write.metadata,
      size: sources[index]?.bytes ?? write.metadata.size,
      objectId: this.objectIdOf(write.metadata),
    }));
  }

  /** writeObjectsFromFiles one object at a time (objects of several users, or no hard links here). */
  private async writeEachFromFile(
    writes: FileObjectWrite[],
    directorySyncs: DeferredDirectorySyncs,
  ): Promise<InOrderOutcome<FileObjectWrite, CloudObject>> {
    return runInOrder(writes, this.writeConcurrency, (write) =>
      this.writeObject(write.metadata, () => createReadStream(write.sourceFile), {
        sourceFile: write.sourceFile,
        directorySyncs,
      }),
    );
  }

  /** The user's temporary directory, made durably once a process (it is never removed). */
  private async makeTmpDir(tmpDir: string): Promise<void> {
    if (this.tmpDirsMade.has(tmpDir)) return;
    await makeDirectoryDurably(tmpDir);
    this.tmpDirsMade.add(tmpDir);
  }

  private readonly tmpDirsMade = new Set<string>();

  /**
   * The object's metadata name made a link to the batch's metadata file. One
   * already there (an earlier attempt's) is kept if it says the same, else
   * replaced by a rename of a temporary link.
   */
  private async placeMetadata(batchMetadata: string, metadata: CloudObjectMetadata, tmpDir: string): Promise<void> {
    const objectId = this.objectIdOf(metadata);
    const name = `${this.contentPath(metadata.userId, objectId)}.json`;
    try {
      await this.linkFile(batchMetadata, name);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw writeFailure(objectId, error);
    }
    const existing = await this.readMetadata(metadata.userId, objectId).catch(() => null);
    if (existing && sameMetadata(existing, metadata)) return;
    const tmp = path.join(tmpDir, `${objectId}.${randomUUID()}`);
    try {
      await this.linkFile(batchMetadata, tmp);
      await rename(tmp, name);
    } catch (error) {
      await rm(tmp, { force: true });
      throw writeFailure(objectId, error);
    }
  }

  /**
   * The content linked into place. A content already there with the same
   * bytes (an earlier attempt's) is kept; with other bytes (an abandoned
   * transfer's) it is replaced. Across file systems, copied.
   */
  private async placeLinkedContent(write: FileObjectWrite, target: string, tmpDir: string, objectId: string) {
    try {
      if (await linkIfPossible(this.linkFile, write.sourceFile, target)) {
        this.knownContents.remember(target, write.metadata.sha256);
        return;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw writeFailure(objectId, error);
      if ((await sha256OfFile(target)).sha256 === write.metadata.sha256) return;
    }
    this.knownContents.forget(target);
    const tmp = path.join(tmpDir, `${objectId}.${randomUUID()}`);
    try {
      const placed = await this.placeContent(
        tmp,
        () => createReadStream(write.sourceFile),
        write.sourceFile,
        write.metadata,
      );
      if (placed.sha256 !== write.metadata.sha256) {
        throw new CloudStorageError(
          "integrity",
          `content of ${objectId} has sha256 ${placed.sha256}, expected ${write.metadata.sha256}`,
        );
      }
      await rename(tmp, target);
      this.knownContents.remember(target, placed.sha256);
    } catch (error) {
      await rm(tmp, { force: true });
      if (error instanceof CloudStorageError) throw error;
      throw writeFailure(objectId, error);
    }
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

  knownSha256(userId: string, objectId: string, link: string): string | undefined {
    return this.knownContents.sha256Of(this.contentPath(userId, objectId), link);
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
    // 1 MiB reads, not 64 KiB: a delta's rebuild reads most of a large file, and pays each read's round trip.
    return createReadStream(file, {
      highWaterMark: objectReadBytes,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async deleteObject(userId: string, objectId: string): Promise<void> {
    const file = this.contentPath(userId, objectId);
    this.knownContents.forget(file);
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
    const parsed = new Map<string, unknown>();
    for (const objectId of entries.filter((entry) => objectIdPattern.test(entry)).sort()) {
      objects.push(await this.readMetadata(userId, objectId, parsed));
    }
    return objects;
  }
}

const metadataFields = ["userId", "fileUUID", "version", "cloudFileName", "mimeType", "sha256", "size"] as const;

function sameMetadata(a: CloudObjectMetadata, b: CloudObjectMetadata): boolean {
  return metadataFields.every((field) => a[field] === b[field]);
}

/** What a batch's metadata file holds. */
interface BatchMetadata {
  objects: Record<string, CloudObjectMetadata>;
}

type StoredMetadata = CloudObjectMetadata | BatchMetadata;

/** What earlier writes of these objects left in the temporary directory when their process was killed. */
async function removeLeftovers(tmpDir: string, objectIds: string[]): Promise<void> {
  const prefixes = new Set(objectIds.map((objectId) => `${objectId}.`));
  for (const entry of await readdir(tmpDir)) {
    const dot = entry.indexOf(".", entry.indexOf(".v") + 2);
    if (dot > 0 && prefixes.has(entry.slice(0, dot + 1))) await rm(path.join(tmpDir, entry), { force: true });
  }
}

/**
 * A write's source, its size checked (its bytes were checked as they
 * arrived); null when the file is gone. A synchronous stat, like the links
 * (hardLinks.ts): a batch checks thousands.
 */
function checkedSource(write: FileObjectWrite, objectId: string): { bytes: number } | null {
  let size: number;
  try {
    const info = statSync(write.sourceFile, { throwIfNoEntry: false });
    if (!info) return null;
    size = info.size;
  } catch (error) {
    throw writeFailure(objectId, error);
  }
  return { bytes: checkedSize(size, write.metadata) };
}

/** The size of an object's linked content, when it is the metadata's; an integrity failure otherwise. */
function checkedSize(size: number, metadata: CloudObjectMetadata): number {
  if (size !== metadata.size) {
    throw new CloudStorageError(
      "integrity",
      `content of ${metadata.fileUUID} v${metadata.version} has ${size} bytes, expected ${metadata.size}`,
    );
  }
  return size;
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
