// Node-only file access for uploads, loaded on demand so that a browser
// bundle of the SDK does not pull in node:fs.
import { closeSync, constants, createReadStream, fstatSync, openSync, readFileSync, type ReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { FileSource as TusFileSource, SliceResult } from "tus-js-client";
import { LocalSourceError } from "./LocalSourceError.ts";

export async function statPath(path: string): Promise<{ size: number }> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    return { size: info.size };
  } catch (error) {
    throw new LocalSourceError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Bytes a slice's stream reads at a time: a megabyte rather than the
 * default 64 KiB makes a large file's upload 16 times fewer reads and socket
 * writes, each a trip through the event loop.
 */
const sliceReadBytes = 1024 * 1024;

/**
 * A file read slice by slice: each slice is a read stream over [start, end),
 * so memory stays at a stream's buffer whatever the chunk size. The file must
 * keep its size while it is uploaded (its content is checked by the server's
 * sha256 at the end); a slice that finds another size, or a stream that
 * fails or ends early, is a LocalSourceError.
 */
export async function openPathSource(
  path: string,
  onStreamError: (error: LocalSourceError) => void,
): Promise<TusFileSource> {
  const { size } = await statPath(path);
  return {
    size,
    async slice(start: number, end: number): Promise<SliceResult> {
      const now = await statPath(path);
      if (now.size !== size) {
        throw new LocalSourceError(`${path} changed size while it was uploaded (${size} bytes, now ${now.size})`);
      }
      end = Math.min(end, size);
      const expected = end - start;
      const stream: ReadStream & { size?: number } = createReadStream(path, {
        start,
        end: end - 1,
        highWaterMark: sliceReadBytes,
      });
      stream.size = expected;
      stream.on("error", (error) => {
        onStreamError(new LocalSourceError(`reading ${path} failed: ${error.message}`, { cause: error }));
      });
      // No "data" listener: it would start the stream before tus-js-client pipes it.
      stream.on("end", () => {
        const read = stream.bytesRead;
        if (read !== expected) {
          onStreamError(
            new LocalSourceError(
              `${path} ended after ${start + read} bytes, not ${end}: it changed while it was uploaded`,
            ),
          );
        }
      });
      return { value: stream, done: end >= size };
    },
    close() {},
  };
}

/**
 * A small file read whole (a batch upload's file); a failure is a
 * LocalSourceError. Read synchronously: from the page cache that takes
 * microseconds, where the four trips through the thread pool of an
 * asynchronous read cost the event loop far more, a thousand times a batch.
 * Opened without blocking, so a named pipe put in its place is not waited on.
 * Null, unread, when it has more than `maxBytes`.
 */
export function readWholeFile(path: string, maxBytes = Infinity): Buffer | null {
  try {
    const descriptor = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      return fstatSync(descriptor).size > maxBytes ? null : readFileSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    throw new LocalSourceError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** A file in blocks of blockSize bytes (the last one shorter), read one block at a time; it must have `size` bytes. */
export async function* readBlocks(path: string, size: number, blockSize: number): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r").catch((error: unknown) => {
    throw new LocalSourceError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  });
  try {
    for (let offset = 0; offset < size; offset += blockSize) {
      const block = Buffer.allocUnsafe(Math.min(blockSize, size - offset));
      const { bytesRead } = await handle.read(block, 0, block.byteLength, offset);
      if (bytesRead !== block.byteLength) {
        throw new LocalSourceError(`${path} ended after ${offset + bytesRead} bytes, not ${size}: it changed`);
      }
      yield block;
    }
  } finally {
    await handle.close();
  }
}
