// Batch uploads of small files (docs/protocol.md, "Small files in batches"):
// one POST carries many files, framed (@smsync/protocol). The server records
// the files in groups as they arrive, so after a failure the next attempt
// first asks which files the server holds (POST <url>/held) and sends only
// the rest. Errors come out typed as the tus uploader's do: ServerError with
// the server's code (StagingFullError for 507, StagingQuotaExceededError for
// 413 STAGING_QUOTA_EXCEEDED), NetworkError, LocalSourceError.
import {
  batchUploadHead,
  encodeFrameHead,
  sentBytesOf,
  type BatchUploadFile,
  uploadBatchMediaType,
} from "@smsync/protocol";
import { NetworkError, ServerError, abortReason } from "../errors.ts";
import { abortableSleep } from "./abortableSleep.ts";
import { isTransientServerError, serverErrorFromResponse } from "./httpErrors.ts";
import { LocalSourceError } from "./LocalSourceError.ts";
import { defaultUploadRetryDelays } from "./uploader.ts";
import { type UploadContent } from "./uploadSources.ts";

export interface BatchUploadEntry {
  file: BatchUploadFile;
  content: UploadContent;
}

export interface UploadBatchOptions {
  /** serverInfo.uploadBatchUrl. */
  url: string;
  token: string;
  fencingToken: number;
  entries: BatchUploadEntry[];
  /** Ask the server first which files it holds: the batch may have been sent before (a relaunch). */
  mayBeHeld: boolean;
  signal?: AbortSignal;
  /** Delays (ms) of the retries after a network failure, a 5xx or 429. Default [0, 1000, 3000]. */
  retryDelays?: number[];
}

export async function uploadBatch(options: UploadBatchOptions): Promise<void> {
  const delays = options.retryDelays ?? defaultUploadRetryDelays;
  let askHeld = options.mayBeHeld;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      const held = askHeld ? await heldFiles(options) : new Set<string>();
      const entries = options.entries.filter((entry) => !held.has(entry.file.fileUUID));
      if (entries.length > 0) await send(options, entries);
      return;
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal, "The batch upload");
      const retryable =
        error instanceof NetworkError || (error instanceof ServerError && isTransientServerError(error));
      const delay = delays[attempt];
      if (!retryable || delay === undefined) throw error;
      askHeld = true;
      await abortableSleep(delay, options.signal, "The batch upload");
    }
  }
}

async function heldFiles(options: UploadBatchOptions): Promise<Set<string>> {
  const head = batchUploadHead(
    options.fencingToken,
    options.entries.map((entry) => entry.file),
  );
  const body = await post(
    `${options.url}/held`,
    options,
    new Blob([encodeFrameHead(head)]),
    "asking which files are held",
  );
  return new Set((JSON.parse(body) as { held: string[] }).held);
}

async function send(options: UploadBatchOptions, entries: BatchUploadEntry[]): Promise<void> {
  const contents = await Promise.all(entries.map((entry) => readContent(entry)));
  const head = batchUploadHead(
    options.fencingToken,
    entries.map((entry) => entry.file),
  );
  await post(
    options.url,
    options,
    new Blob([encodeFrameHead(head), ...contents]),
    `batch upload of ${entries.length} files`,
  );
}

/** A small file's bytes, whole: a batch holds at most batchMaxBytes. */
async function readContent(entry: BatchUploadEntry): Promise<BlobPart> {
  const { content, file } = entry;
  let size: number;
  let bytes: Uint8Array | Blob;
  if (typeof content === "string") {
    const { readWholeFile } = await import("./nodeFiles.ts");
    bytes = readWholeFile(content)!;
    size = bytes.byteLength;
  } else {
    bytes = content;
    size = content instanceof Uint8Array ? content.byteLength : content.size;
  }
  // A delta's content is its literal bytes, not the whole file.
  if (size !== sentBytesOf(file)) {
    throw new LocalSourceError(
      `the content of ${file.fileUUID} has ${size} bytes, not the ${sentBytesOf(file)} queued: it changed`,
    );
  }
  // A file read or an app's bytes: never a SharedArrayBuffer, which a Blob cannot take.
  return bytes as Uint8Array<ArrayBuffer> | Blob;
}

async function post(url: string, options: UploadBatchOptions, body: Blob, what: string): Promise<string> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}`, "content-type": uploadBatchMediaType },
      body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal, "The batch upload");
    throw new NetworkError(`${what}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw serverErrorFromResponse(response.status, text, what);
  return text;
}
