// A new version of a large file built from the version the device holds
// (docs/protocol.md, "Changed files as deltas"), Node only. The server gives
// the sha256 of each block of the new version (POST <uploadBatchUrl>/blocks);
// each block of the held copy at the same offset whose hash matches is
// copied, and each run of blocks that differ is fetched from the staged
// download with Range. The bytes go, in order, to the download's partial
// file, so whatever stops this (a cut, too many runs, a held copy that
// changed under it) leaves a prefix that downloadFile resumes as it resumes
// any cut download. The whole file is checked by its sha256, as any
// download is.
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { FileBlocks } from "@smsync/protocol";
import { abortReason } from "../errors.ts";
import { renameDurably } from "../platform/durableFiles.ts";
import { blocksOf } from "./fileDeltas.ts";
import { LocalSourceError, sourceSize, type UploadContent } from "./uploadSources.ts";

/** The held version's bytes and the block hashes of the version to download. */
export interface HeldBase {
  content: UploadContent;
  blocks: FileBlocks;
}

/** Range requests one download may make; past them, the rest comes in one request (downloadFile's resume). */
export const maxFetchedRuns = 64;

export interface FromBaseOptions {
  url: string;
  token: string;
  expectedSha256: string;
  base: HeldBase;
  signal?: AbortSignal;
  onProgress?: (bytesReceived: number, bytesTotal: number | null) => void;
}

/**
 * Writes the new version into `partial` (which must not exist) from the held
 * copy and ranges of the staged file. Resolves true when the whole file is
 * there, verified, and renamed to `destination`; false when it stopped
 * early, leaving a prefix in `partial` for downloadFile to resume (or
 * nothing, when the rebuilt file failed its sha256).
 */
export async function downloadFromBase(
  options: FromBaseOptions,
  partial: string,
  destination: string,
): Promise<boolean> {
  const { blocks } = options.base;
  const hash = createHash("sha256");
  const file = await open(partial, "wx");
  let position = 0;
  let complete = false;
  try {
    const write = async (bytes: Uint8Array) => {
      hash.update(bytes);
      await file.write(bytes, 0, bytes.byteLength, position);
      position += bytes.byteLength;
      options.onProgress?.(position, blocks.size);
    };
    const fetchRun = fetcher(options, write);
    const held = heldBlocks(options.base.content, blocks.blockSize);
    try {
      let runStart: number | null = null;
      for (let index = 0, offset = 0; offset < blocks.size; index++, offset += blocks.blockSize) {
        const length = Math.min(blocks.blockSize, blocks.size - offset);
        const block = await held.next();
        const same =
          block !== null &&
          block.byteLength === length &&
          createHash("sha256").update(block).digest("hex") === blocks.blocks[index];
        if (!same) {
          runStart ??= offset;
          continue;
        }
        if (runStart !== null && !(await fetchRun(runStart, offset))) return false;
        runStart = null;
        await write(block);
      }
      if (runStart !== null && !(await fetchRun(runStart, blocks.size))) return false;
    } finally {
      await held.close();
    }
    await file.sync();
    complete = true;
  } finally {
    await file.close();
  }
  if (!complete) return false;
  if (hash.digest("hex") !== options.expectedSha256) {
    // The block hashes or the held copy were not what they claimed: the download starts again whole.
    await rm(partial, { force: true });
    return false;
  }
  await renameDurably(partial, destination);
  return true;
}

/**
 * Fetches [start, end) of the staged file into the partial file; false when
 * it cannot (a refusal, a cut, too many runs already): the caller stops and
 * downloadFile goes on from what was written.
 */
function fetcher(options: FromBaseOptions, write: (bytes: Uint8Array) => Promise<void>) {
  let runs = 0;
  return async (start: number, end: number): Promise<boolean> => {
    if (++runs > maxFetchedRuns) return false;
    const { signal } = options;
    let response: Response;
    try {
      response = await fetch(options.url, {
        headers: {
          authorization: `Bearer ${options.token}`,
          range: `bytes=${start}-${end - 1}`,
          // The server's ETag is the content's sha256: another content answers 200, and is not used.
          "if-range": `"${options.expectedSha256}"`,
        },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal, "The download");
      return false;
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get("content-range") ?? "");
    if (response.status !== 206 || !range || Number(range[1]) !== start || Number(range[2]) !== end - 1) {
      // Cancelling fails only for a body whose stream has already failed: nothing is left to discard then.
      await response.body?.cancel().catch(() => undefined);
      return false;
    }
    let received = 0;
    try {
      for await (const chunk of Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)) {
        const bytes = chunk as Buffer;
        // Never past the run: bytes beyond it (a server answering more than asked) are not this run's.
        const room = end - start - received;
        if (room > 0) await write(bytes.byteLength > room ? bytes.subarray(0, room) : bytes);
        received += bytes.byteLength;
      }
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal, "The download");
      if ((error as NodeJS.ErrnoException).syscall) throw error; // the local disk, not the network
      return false;
    }
    return received === end - start;
  };
}

/**
 * The held copy's blocks in order, then null; a copy that cannot be read (or
 * changed size) gives null from there. close() lets its file go when the
 * blocks are not all read.
 */
function heldBlocks(
  content: UploadContent,
  blockSize: number,
): { next(): Promise<Uint8Array | null>; close(): Promise<void> } {
  let blocks: AsyncGenerator<Uint8Array> | null = null;
  let done = false;
  return {
    async close() {
      done = true;
      await blocks?.return(undefined);
    },
    async next() {
      if (done) return null;
      try {
        blocks ??= blocksOf(content, await sourceSize(content), blockSize);
        const next = await blocks.next();
        if (!next.done) return next.value;
      } catch (error) {
        if (!(error instanceof LocalSourceError)) throw error;
      }
      done = true;
      return null;
    },
  };
}
