// Downloads of staged files (GET /downloads/<fileUUID>/<version>) to disk,
// Node only. The bytes go to `<destination>.partial` as they arrive; a cut
// connection, an abort or a killed process leaves that file behind, and the
// next call resumes from its size with Range (and If-Range naming the
// expected sha256, so another content is sent whole). The sha256 of the
// whole file, the resumed part included, must equal both the expected value
// and the server's X-Smsync-Sha256 before the file is renamed into place.
// Memory stays at one network chunk: bytes are hashed and written as they come.
// Given the version the device holds (`base`), a download with no partial
// file first builds what it can from it (deltaDownloads.ts).
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { IntegrityError, NetworkError, ServerError, abortReason } from "../errors.ts";
import { makeDirectoryDurably, renameDurably } from "../platform/durableFiles.ts";
import { abortableSleep } from "./abortableSleep.ts";
import { downloadFromBase, type HeldBase } from "./deltaDownloads.ts";
import { defaultDownloadRetryDelays } from "./downloadRetries.ts";
import { isTransientServerError, serverErrorFromResponse } from "./httpErrors.ts";

export interface DownloadFileOptions {
  /** The operation's files[].downloadUrl. */
  url: string;
  /** The device token. */
  token: string;
  /** Where the file ends up; `<destination>.partial` holds it until it is verified. */
  destination: string;
  /** Hex SHA-256 the file must have (the file index's). */
  expectedSha256: string;
  /** Bytes on disk so far (the resumed part included) and the file's size when known. */
  onProgress?: (bytesReceived: number, bytesTotal: number | null) => void;
  /** Aborts (suspend): the partial file stays for the next call, and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Delays (ms) of the retries after a network failure, a 5xx or 429; each
   * resumes from the partial file. The count starts again when an attempt got
   * bytes. Default [0, 1000, 3000]; [] leaves every retry to the caller.
   */
  retryDelays?: number[];
  /** Extra request headers. */
  headers?: Record<string, string>;
  /**
   * The version the device holds and the new version's block hashes: the
   * blocks that match are copied from it, the others fetched with Range
   * (deltaDownloads.ts). Used when no partial file is there to resume.
   */
  base?: HeldBase;
}

export interface DownloadResult {
  /** The destination, now holding the verified file. */
  path: string;
  size: number;
  sha256: string;
  /** Bytes taken from an earlier attempt's partial file rather than downloaded again (of the final, successful pass). */
  resumedFrom: number;
}

export { defaultDownloadRetryDelays };

/** Where a download's bytes wait until they are verified. */
export function partialPathOf(destination: string): string {
  return `${destination}.partial`;
}

/** Removes a download's partial file (e.g. when the engine gives the download up). */
export async function discardPartialDownload(destination: string): Promise<void> {
  await rm(partialPathOf(destination), { force: true });
}

/** The sha256 state and size of what a partial file holds (nothing if there is none). */
async function hashPartial(file: string): Promise<{ hash: Hash; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return { hash: createHash("sha256"), size: 0 };
  }
  return { hash, size };
}

/** `bytes <start>-<end>/<total>` */
function parseContentRange(header: string | null): { start: number; end: number; total: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? "");
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

async function isMissing(file: string): Promise<boolean> {
  try {
    await stat(file);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
}

/** One pass could not use the partial file: start again from byte 0. */
class RestartFromZero {
  constructor(readonly reason: string) {}
}

/**
 * Downloads a staged file to `destination`, resuming a partial file left by
 * an earlier call. Resolves once the file is verified and in place.
 * ServerError for the server's refusals (401 UNAUTHENTICATED, 404 NOT_FOUND...),
 * NetworkError when the connection failed (retries exhausted: the partial
 * file stays), IntegrityError when the bytes do not match (the partial file
 * is removed).
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const expected = options.expectedSha256.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected))
    throw new RangeError(`expectedSha256 must be 64 hex digits, not ${options.expectedSha256}`);
  const delays = options.retryDelays ?? defaultDownloadRetryDelays;
  const partial = partialPathOf(options.destination);
  await makeDirectoryDurably(path.dirname(options.destination));
  if (options.base && (await isMissing(partial))) {
    const built = await downloadFromBase(
      { ...options, expectedSha256: expected, base: options.base },
      partial,
      options.destination,
    );
    if (built) return { path: options.destination, size: options.base.blocks.size, sha256: expected, resumedFrom: 0 };
  }

  let attempt = 0;
  for (;;) {
    const progress = { bytesWritten: 0 };
    try {
      return await downloadPass(options, expected, partial, progress);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal, "The download");
      const retryable =
        error instanceof NetworkError || (error instanceof ServerError && isTransientServerError(error));
      if (progress.bytesWritten > 0) attempt = 0;
      const delay = delays[attempt];
      if (!retryable || delay === undefined) throw error;
      attempt++;
      await abortableSleep(delay, signal, "The download");
    }
  }
}

/** Bytes a download writes to its partial file at a time. */
const downloadWriteBytes = 1024 * 1024;

/** `bytes` written at `position`, whatever the file system takes a write. */
async function writeAll(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += (await file.write(bytes, written, bytes.length - written, position + written)).bytesWritten;
  }
}

async function downloadPass(
  options: DownloadFileOptions,
  expected: string,
  partial: string,
  progress: { bytesWritten: number },
): Promise<DownloadResult> {
  let fromZero = false;
  for (;;) {
    const outcome = await downloadFrom(options, expected, partial, fromZero, progress);
    if (!(outcome instanceof RestartFromZero)) return outcome;
    // A second restart in one pass would loop: the server does not serve what was asked.
    if (fromZero) throw new ServerError("BAD_RESPONSE", `download of ${options.url}: ${outcome.reason}`, {});
    fromZero = true;
  }
}

async function downloadFrom(
  options: DownloadFileOptions,
  expected: string,
  partial: string,
  fromZero: boolean,
  progress: { bytesWritten: number },
): Promise<DownloadResult | RestartFromZero> {
  const { signal, url } = options;
  const what = `download of ${url}`;
  if (fromZero) await rm(partial, { force: true });
  let { hash, size: offset } = await hashPartial(partial);

  const headers: Record<string, string> = { ...options.headers, authorization: `Bearer ${options.token}` };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // The server's ETag is the content's sha256: another content answers 200 with the whole file.
    headers["if-range"] = `"${expected}"`;
  }
  let response: Response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal, "The download");
    throw new NetworkError(`${what}: ${(error as Error).message}`, { cause: error });
  }

  // Cancelling fails only for a body whose stream has already failed: nothing is left to discard then.
  const discardBody = () => response.body?.cancel().catch(() => undefined);
  if (response.status === 416 && offset > 0) {
    await discardBody();
    return new RestartFromZero(`the server refused the range from ${offset}`);
  }
  if (response.status !== 200 && response.status !== 206) {
    let body: string;
    try {
      body = await response.text();
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal, "The download");
      throw new NetworkError(`${what}: ${(error as Error).message}`, { cause: error });
    }
    throw serverErrorFromResponse(response.status, body, what);
  }

  const announced = response.headers.get("x-smsync-sha256")?.trim().toLowerCase() ?? null;
  if (announced !== null && announced !== expected) {
    await discardBody();
    await rm(partial, { force: true });
    throw new IntegrityError(
      `${what}: the server serves content with sha256 ${announced}, not the expected ${expected}`,
    );
  }

  let total: number | null;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (!range || range.start !== offset || range.end !== range.total - 1) {
      await discardBody();
      return new RestartFromZero(
        `asked for bytes from ${offset}, got ${response.headers.get("content-range") ?? "no Content-Range"}`,
      );
    }
    total = range.total;
  } else {
    // The whole file: what the partial file held is not used.
    if (offset > 0) {
      hash = createHash("sha256");
      offset = 0;
    }
    const length = response.headers.get("content-length");
    total = length === null ? null : Number(length);
  }
  const resumedFrom = offset;

  let position = offset;
  let file: FileHandle | undefined;
  try {
    file = await open(partial, offset > 0 ? "r+" : "w");
    if (offset > 0) await file.truncate(offset);
    options.onProgress?.(position, total);
    if (response.body) {
      // The pieces that arrived are written a megabyte at a time: each write is a round trip to the thread pool,
      // and one a network chunk (16-64 KiB) held a large download to them. When the response breaks, what
      // arrived is written before the error is thrown (the next attempt resumes from the partial file's length).
      const opened = file;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const writePending = async () => {
        if (pendingBytes === 0) return;
        await writeAll(opened, pending.length === 1 ? pending[0]! : Buffer.concat(pending), position);
        position += pendingBytes;
        progress.bytesWritten += pendingBytes;
        pending = [];
        pendingBytes = 0;
        options.onProgress?.(position, total);
      };
      try {
        for await (const chunk of Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>)) {
          const bytes = chunk as Buffer;
          hash.update(bytes);
          pending.push(bytes);
          pendingBytes += bytes.length;
          if (pendingBytes >= downloadWriteBytes) await writePending();
        }
        await writePending();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).syscall) throw error; // the local disk, not the network
        // What arrived before the cut (or the abort) is kept: the next attempt resumes after it.
        await writePending().catch(() => undefined);
        if (signal?.aborted) throw abortReason(signal, "The download");
        throw new NetworkError(`${what}: the connection broke after ${position} bytes: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    if (total !== null && position !== total) {
      throw new NetworkError(`${what}: the response ended after ${position} of ${total} bytes`);
    }
    await file.sync();
  } finally {
    await file?.close();
  }

  const actual = hash.digest("hex");
  if (actual !== expected) {
    await rm(partial, { force: true });
    // Resumed bytes may be what is wrong (a partial file of something else): one more try from zero.
    if (resumedFrom > 0) return new RestartFromZero(`the file resumed from ${resumedFrom} has sha256 ${actual}`);
    throw new IntegrityError(`${what}: received content with sha256 ${actual}, not the expected ${expected}`);
  }
  await renameDurably(partial, options.destination);
  return { path: options.destination, size: position, sha256: actual, resumedFrom };
}
