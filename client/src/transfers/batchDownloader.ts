// Batch downloads of small staged files (docs/protocol.md, "Small files in
// batches"): one POST answers many files, framed (@smsync/protocol). Each
// file is checked against the sha256 the caller expects (the file index's)
// before it is handed on, so nothing unverified reaches the app. After a cut
// the next attempt asks only for the files not handed on yet. Works the same
// in Node and in browsers (fetch, Web Crypto).
import {
  encodeFrameHead,
  FrameError,
  FramedStreamReader,
  type BatchDownloadHead,
  downloadBatchMediaType,
} from "@smsync/protocol";
import { IntegrityError, NetworkError, ServerError, abortReason } from "../errors.ts";
import { sha256Hex } from "../platform/bytes.ts";
import { abortableSleep } from "./abortableSleep.ts";
import { defaultDownloadRetryDelays } from "./downloadRetries.ts";
import { isTransientServerError, serverErrorFromResponse } from "./httpErrors.ts";

export interface BatchDownloadWanted {
  fileUUID: string;
  version: number;
  /** The file index's sha256. */
  sha256: string;
}

export interface DownloadBatchOptions {
  /** serverInfo.downloadBatchUrl. */
  url: string;
  token: string;
  files: BatchDownloadWanted[];
  /** Takes each verified file, in the order they arrive; a failure of its own stops the batch. */
  onFile: (file: BatchDownloadWanted, bytes: Uint8Array<ArrayBuffer>) => Promise<void>;
  signal?: AbortSignal;
  /** Delays (ms) of the retries after a network failure, a 5xx or 429; each asks for the files not yet handed on. */
  retryDelays?: number[];
}

export async function downloadBatch(options: DownloadBatchOptions): Promise<void> {
  const delays = options.retryDelays ?? defaultDownloadRetryDelays;
  const handed = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    const before = handed.size;
    try {
      const left = options.files.filter((file) => !handed.has(file.fileUUID));
      if (left.length > 0) await receive(options, left, handed);
      return;
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal, "The batch download");
      const retryable =
        error instanceof NetworkError || (error instanceof ServerError && isTransientServerError(error));
      if (handed.size > before) attempt = 0; // progress: the retries count again
      const delay = delays[attempt];
      if (!retryable || delay === undefined) throw error;
      await abortableSleep(delay, options.signal, "The batch download");
    }
  }
}

async function receive(options: DownloadBatchOptions, files: BatchDownloadWanted[], handed: Set<string>) {
  const what = `batch download of ${files.length} files`;
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}`, "content-type": downloadBatchMediaType },
      body: new Blob([encodeFrameHead({ files: files.map(({ fileUUID, version }) => ({ fileUUID, version })) })]),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal, "The batch download");
    throw new NetworkError(`${what}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw serverErrorFromResponse(response.status, await response.text(), what);
  if (!response.body) throw new ServerError("BAD_RESPONSE", `${what}: the answer has no body`, {});
  const reader = new FramedStreamReader(chunksOf(response.body));
  try {
    const head = (await reader.readHead(Number.MAX_SAFE_INTEGER)) as BatchDownloadHead;
    const wanted = new Map(files.map((file) => [file.fileUUID, file]));
    for (const sent of head.files) {
      const file = wanted.get(sent.fileUUID);
      if (!file || file.version !== sent.version) {
        throw new ServerError(
          "BAD_RESPONSE",
          `${what}: the server sent ${sent.fileUUID} v${sent.version}, not asked for`,
          {},
        );
      }
      const bytes = new Uint8Array(sent.size);
      let offset = 0;
      for await (const piece of reader.readBytes(sent.size)) {
        bytes.set(piece, offset);
        offset += piece.byteLength;
      }
      const sha256 = await sha256Hex(bytes);
      if (sha256 !== file.sha256 || sha256 !== sent.sha256) {
        throw new IntegrityError(
          `${what}: ${file.fileUUID} v${file.version} arrived with sha256 ${sha256}, not the expected ${file.sha256}`,
        );
      }
      await options.onFile(file, bytes);
      handed.add(file.fileUUID);
    }
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal, "The batch download");
    if (error instanceof ServerError || error instanceof IntegrityError) throw error;
    if (error instanceof FrameError)
      throw new NetworkError(`${what}: the answer broke off: ${error.message}`, { cause: error });
    if (error instanceof TypeError) throw new NetworkError(`${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** A web stream's chunks as an async iterable (not every browser iterates ReadableStream itself). */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
