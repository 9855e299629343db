// The bytes of the app's files as they are queued (SmsyncClient's uploads):
// hashed in place, or copied into the client's uploads folder while hashed,
// so that what is uploaded is exactly what was queued. Large files may be
// hard-linked there instead (`linkAtLeastBytes`): no byte is written, and the
// link keeps the queued bytes through what editors' saves do (a new file
// renamed over the old) and through a deletion, but not through a write into
// the file itself; such an upload is marked `linked`, and the engine sends
// the bytes the file has then (engine/uploadBatch.ts). A group's copies are
// made a few at a time (small files are dominated by opens and fsyncs, which
// overlap), each fsynced, then renamed into place with one fsync per folder
// for the whole group rather than one per file: the queue that names the
// copies is committed after that, so it never names a copy a power loss
// could take back.
import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
} from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SmsyncClientError } from "../errors.ts";
import { forEachConcurrently } from "../engine/forEachConcurrently.ts";
import { ClientUsageError } from "../queues/ClientUsageError.ts";
import { syncDirectory, writeSmallFileDurably } from "./durableFiles.ts";

export interface HashedBytes {
  sha256: string;
  size: number;
}

/** A queued file's bytes: hashed, and whether its target is a hard link to the app's file rather than a copy. */
export interface QueuedBytes extends HashedBytes {
  linked: boolean;
}

export interface CopyOptions {
  /** Files of at least this many bytes are hard-linked rather than copied, where the file system can (else copied). */
  linkAtLeastBytes?: number;
}

/** Errors of link() that say the file system cannot link these names (another device, no hard links, too many). */
const cannotLink = new Set(["EXDEV", "EPERM", "ENOTSUP", "EOPNOTSUPP", "EMLINK", "ENOSYS"]);

/** An app's file to copy into `target` (a client-owned path), for the upload of `fileUUID`. */
export interface CopyOfFile {
  fileUUID: string;
  source: string;
  target: string;
  /** Its sha256 and size as the caller knows them: a large file linked at that size is not hashed again. */
  known?: HashedBytes;
}

/** Copies made at once: enough to overlap the opens and fsyncs of small files, few enough to leave descriptors. */
const copyConcurrency = 8;

/** Bytes a large file is read (and its copy written) by at a time: 16 times fewer trips through the event loop than the default 64 KiB. */
const streamedCopyBytes = 1024 * 1024;

/** Files up to this size are copied by one read and one write rather than streamed. */
const wholeReadBytes = 1024 * 1024;

/** sha256 of a file of `size` bytes: up to wholeReadBytes from one read (a stream's machinery costs more), else streamed. */
export async function sha256OfFile(filePath: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  // Read synchronously: from the page cache that takes microseconds, where the thread pool costs tens of them.
  if (size <= wholeReadBytes) return hash.update(readWithoutWaiting(filePath)).digest("hex");
  await pipeline(
    createReadStream(filePath, { highWaterMark: streamedCopyBytes }),
    async function (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) hash.update(chunk);
    },
  );
  return hash.digest("hex");
}

/** sha256 and size of an app's file, streamed. */
export async function hashFile(filePath: string, fileUUID: string): Promise<HashedBytes> {
  await checkIsFile(filePath, fileUUID);
  const hashing = hasher();
  const drain = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(createReadStream(filePath, { highWaterMark: streamedCopyBytes }), hashing.stream, drain);
  return hashing.result();
}

/**
 * Copies each file to its target while hashing it (or links it, see
 * CopyOptions): each copy fsynced under `<target>.tmp`, then all renamed,
 * then each folder fsynced once. The first failure stops the others and is
 * thrown; removeCopies cleans up after it.
 */
export async function copyFilesHashed(
  copies: readonly CopyOfFile[],
  options: CopyOptions = {},
): Promise<QueuedBytes[]> {
  const hashed: QueuedBytes[] = [];
  const indexed = copies.map((copy, index) => ({ copy, index }));
  await forEachConcurrently(indexed, copyConcurrency, new AbortController().signal, async ({ copy, index }, signal) => {
    const read = readSmallFile(copy.source, copy.fileUUID);
    const size = "bytes" in read ? read.bytes.byteLength : read.size;
    // A write into the app's file between the read above (or the hash below) and the link is found when its
    // bytes go up (engine/uploadBatch.ts).
    const linked = size >= (options.linkAtLeastBytes ?? Infinity) && linkIfPossible(copy.source, `${copy.target}.tmp`);
    if ("bytes" in read) {
      hashed[index] = linked
        ? { sha256: createHash("sha256").update(read.bytes).digest("hex"), size, linked }
        : { ...(await writeSmallCopy(`${copy.target}.tmp`, read.bytes)), linked };
      return;
    }
    signal.throwIfAborted();
    if (linked) {
      // Hashed through the link: the bytes the upload will read, unless the app's file is written meanwhile
      // (as it may have been since the caller hashed it, when it knows the hash: either is found as the bytes go up).
      const sha256 = copy.known?.size === size ? copy.known.sha256 : await sha256OfFile(`${copy.target}.tmp`, size);
      hashed[index] = { sha256, size, linked };
      return;
    }
    const hashing = hasher();
    await pipeline(
      createReadStream(copy.source, { highWaterMark: streamedCopyBytes }),
      hashing.stream,
      createWriteStream(`${copy.target}.tmp`, { flush: true, highWaterMark: streamedCopyBytes }),
      {
        signal,
      },
    );
    hashed[index] = { ...hashing.result(), linked: false };
  });
  await forEachConcurrently(copies, copyConcurrency, new AbortController().signal, (copy) =>
    rename(`${copy.target}.tmp`, copy.target),
  );
  for (const folder of new Set(copies.map((copy) => path.dirname(copy.target)))) await syncDirectory(folder);
  return hashed;
}

/** A hard link made (synchronously: one call that touches no data); false where the file system cannot make one. */
function linkIfPossible(source: string, target: string): boolean {
  try {
    linkSync(source, target);
    return true;
  } catch (error) {
    if (cannotLink.has((error as NodeJS.ErrnoException).code ?? "")) return false;
    throw error;
  }
}

/**
 * A small file's bytes, read synchronously: an open, a stat, a read and a
 * close take microseconds from the page cache, where each through the
 * thread pool costs the event loop tens of them (a thousand files queued
 * spent most of their time so). Only the size of a file over wholeReadBytes
 * (it is streamed, or linked). A ClientUsageError when it is not a file or cannot be read.
 */
function readSmallFile(filePath: string, fileUUID: string): { bytes: Buffer } | { size: number } {
  let descriptor: number;
  try {
    descriptor = openWithoutWaiting(filePath);
  } catch (error) {
    throw new ClientUsageError("NOT_A_FILE", `${filePath} cannot be read: ${(error as Error).message}`, {
      cause: error,
      fileUUID,
    });
  }
  try {
    const info = fstatSync(descriptor);
    if (!info.isFile()) throw new ClientUsageError("NOT_A_FILE", `${filePath} is not a file`, { fileUUID });
    if (info.size > wholeReadBytes) return { size: info.size };
    return { bytes: readFileSync(descriptor) };
  } finally {
    closeSync(descriptor);
  }
}

/** Opened for reading without blocking: a named pipe would otherwise wait for a writer, here on the event loop. */
function openWithoutWaiting(filePath: string): number {
  return openSync(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
}

/** A file's bytes, read synchronously (see readSmallFile). */
function readWithoutWaiting(filePath: string): Buffer {
  const descriptor = openWithoutWaiting(filePath);
  try {
    return readFileSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/** The bytes written to a new `file`, durably; their hash and size. */
async function writeSmallCopy(file: string, bytes: Buffer): Promise<HashedBytes> {
  await writeSmallFileDurably(file, bytes);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.byteLength };
}

/** Removes what copyFilesHashed made of these copies, whole or partial. */
export async function removeCopies(copies: readonly CopyOfFile[]): Promise<void> {
  for (const copy of copies) {
    await rm(copy.target, { force: true });
    await rm(`${copy.target}.tmp`, { force: true });
  }
}

/** The file's size; a ClientUsageError when it is not a file or cannot be read. */
async function checkIsFile(filePath: string, fileUUID: string): Promise<number> {
  try {
    const info = await stat(filePath);
    if (!info.isFile()) throw new ClientUsageError("NOT_A_FILE", `${filePath} is not a file`, { fileUUID });
    return info.size;
  } catch (error) {
    if (error instanceof SmsyncClientError) throw error;
    throw new ClientUsageError("NOT_A_FILE", `${filePath} cannot be read: ${(error as Error).message}`, {
      cause: error,
      fileUUID,
    });
  }
}

function hasher() {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: (): HashedBytes => ({ sha256: hash.digest("hex"), size }) };
}
