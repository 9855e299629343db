// Uploads over tus (tus-js-client) with the resume state in the client
// store: the upload URL is stored under the upload's fingerprint (fileUUID,
// version, sha256, fencingToken) as soon as the server creates it, so an
// upload cut by the network, aborted (suspend) or killed with its process
// resumes from the server's offset (HEAD, then PATCH of the rest) when
// uploadFile is called again with the same store, content and metadata.
//
// Errors come out typed: ServerError with the server's code (460 is
// CHECKSUM_MISMATCH; 507 STAGING_FULL is a StagingFullError, not retried
// here, its resume state kept; 413 STAGING_QUOTA_EXCEEDED a
// StagingQuotaExceededError, not retried), NetworkError when the server could not be reached or
// the connection broke, LocalSourceError when the local content cannot be
// read or changed size; an abort rejects with the signal's reason.
import { encodeUploadMetadata, type ErrorCode, type UploadMetadata } from "@smsync/protocol";
import * as tus from "tus-js-client";
import { NetworkError, ServerError, SmsyncClientError, abortReason } from "../errors.ts";
import type { ClientStore } from "../store/ClientStore.ts";
import { isFinalUploadError, isTransientServerError, parseErrorBody, serverErrorFromResponse } from "./httpErrors.ts";
import { StoreUrlStorage, tusCollection, uploadFingerprint } from "./tusResumeStore.ts";
import { UploadSourceReader, sourceSize, type UploadContent } from "./uploadSources.ts";

/** Upload-Metadata of an smsync upload (docs/protocol.md, "Uploading a batch"), defined with the server's reading of it. */
export type { UploadMetadata };

export interface UploadFileOptions {
  /** serverInfo.tusEndpoint, e.g. https://host/uploads. */
  endpoint: string;
  /** The device token. */
  token: string;
  /** Where the resume state lives ("tusUploads"). */
  store: ClientStore;
  /** A file path (Node), bytes, or a Blob/File. */
  file: UploadContent;
  metadata: UploadMetadata;
  /** Bytes per PATCH (default 16 MiB). Each PATCH streams its slice from the file. */
  chunkSize?: number;
  /**
   * Delays (ms) of tus-js-client's retries after a network failure, a 5xx or
   * 429, or an offset conflict; each retry asks the server's offset first.
   * Default [0, 1000, 3000]; [] leaves every retry to the caller.
   */
  retryDelays?: number[];
  /** Bytes sent so far (from the resumed offset on) and the size. */
  onProgress?: (bytesSent: number, bytesTotal: number) => void;
  /** Aborts the upload (suspend): the resume state stays, and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Leave the resume entry in the store on success, for the caller to delete
   * (forgetUploadChange) in the same commit that records the upload as done.
   * Default false: uploadFile deletes it itself before resolving.
   */
  keepResumeState?: boolean;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface UploadResult {
  /** The tus upload's URL on the server. */
  uploadUrl: string;
  size: number;
  /** The server's offset when this call started sending (0 for a new upload, > 0 when it resumed). */
  resumedFrom: number;
  /** The store key of the resume state (deleted unless keepResumeState). */
  fingerprint: string;
}

export const defaultChunkSize = 16 * 1024 * 1024;
export const defaultUploadRetryDelays = [0, 1000, 3000];
/** Restarts (ask the offset, continue from there) after the server turned out to have more bytes than tus-js-client thought. */
const maxConflictRestarts = 3;

/** A creation answered with an upload that already has bytes: resume it (HEAD, PATCH) rather than PATCH from 0. */
class ExistingUpload extends Error {
  constructor(readonly uploadUrl: string) {
    super(`the server already has bytes of this upload at ${uploadUrl}`);
  }
}

/** A tus offset conflict: 409 whose body is not one of smsync's own 409 codes. */
function isOffsetConflict(status: number, body: string | undefined): boolean {
  if (status !== 409) return false;
  const code = parseErrorBody(body)?.code;
  return code === undefined || code === ("BAD_INPUT" satisfies ErrorCode);
}

/** tus-js-client's error as the SDK's. */
function toClientError(error: unknown, what: string): Error {
  if (error instanceof SmsyncClientError) return error;
  const detailed = error as tus.DetailedError;
  const cause = detailed?.causingError;
  if (cause instanceof SmsyncClientError) return cause;
  const response = detailed?.originalResponse;
  if (response) {
    const status = response.getStatus();
    if (status >= 200 && status < 300) {
      return new ServerError("BAD_RESPONSE", `${what}: ${detailed.message} (HTTP ${status})`, { status });
    }
    return serverErrorFromResponse(status, response.getBody(), what);
  }
  if (detailed?.originalRequest) {
    return new NetworkError(`${what}: ${detailed.message}`, { cause: cause ?? error });
  }
  return new SmsyncClientError("UPLOAD_FAILED", `${what}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}

/**
 * Uploads one file to the server's staging area under the caller's lock
 * grant, resuming an earlier attempt of the same upload if the store knows
 * it. Resolves once the server has every byte and has checked the sha256.
 */
export async function uploadFile(options: UploadFileOptions): Promise<UploadResult> {
  const { store, metadata, signal } = options;
  const what = `upload of ${metadata.fileUUID} version ${metadata.version}`;
  signal?.throwIfAborted();
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  if (!(chunkSize > 0) || !Number.isFinite(chunkSize))
    throw new RangeError(`chunkSize must be a positive number of bytes, not ${chunkSize}`);
  const retryDelays = options.retryDelays ?? defaultUploadRetryDelays;

  const fingerprint = uploadFingerprint(metadata);
  const size = await sourceSize(options.file);

  // A stored upload of another size cannot be this content's: forget it.
  const stored = await store.get(tusCollection, fingerprint);
  if (stored && stored.size !== size)
    await store.commit([{ op: "delete", collection: tusCollection, key: fingerprint }]);

  return new Promise<UploadResult>((resolve, reject) => {
    let settled = false;
    let resumedFrom: number | null = null;
    let conflictRestarts = 0;

    const finish = (outcome: () => Promise<UploadResult>) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      outcome().then(resolve, reject);
    };

    /** Stops the upload (its resume state stays) and rejects with `error`. */
    const fail = (error: Error) => {
      if (settled) return;
      // Without terminating, abort only stops the request in flight; its promise resolves at once.
      void upload.abort(false);
      finish(() => Promise.reject(error));
    };

    const onAbort = () => fail(abortReason(signal!, "The upload"));

    const upload = new tus.Upload(options.file as unknown as Blob, {
      endpoint: options.endpoint,
      headers: { ...options.headers, authorization: `Bearer ${options.token}` },
      metadata: encodeUploadMetadata(metadata),
      uploadSize: size,
      chunkSize,
      retryDelays,
      fingerprint: () => Promise.resolve(fingerprint),
      urlStorage: new StoreUrlStorage(store, metadata, (error) =>
        fail(
          new SmsyncClientError(
            "STORE_FAILED",
            `${what}: storing its resume state failed: ${(error as Error | null)?.message}`,
            { cause: error },
          ),
        ),
      ),
      fileReader: new UploadSourceReader((error) => fail(error)),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: false,
      onShouldRetry: (error) => {
        if (error.causingError instanceof SmsyncClientError || error.causingError instanceof ExistingUpload)
          return false;
        const response = error.originalResponse;
        if (!response) return true;
        const status = response.getStatus();
        // A full staging area is not cured by a retry a few seconds later: the engine comes back on a later pass.
        if (status === 507 && parseErrorBody(response.getBody())?.code === ("STAGING_FULL" satisfies ErrorCode))
          return false;
        if (status >= 500 || status === 429) return true;
        // tus-js-client retries every 409 and 423 (tus's offset conflict and
        // locked upload); smsync also answers them for its own codes
        // (WRONG_VERSION, LOCK_REQUIRED...), which a retry would only repeat.
        if (isOffsetConflict(status, response.getBody())) return true;
        if (status === 423) return parseErrorBody(response.getBody()) === null;
        return status < 400;
      },
      onAfterResponse: (request, response) => {
        // The offset the server had when this call began: a HEAD on resume, or a creation (an existing upload answers with its offset).
        const method = request.getMethod();
        const status = response.getStatus();
        if (method !== "HEAD" && method !== "POST") return;
        if (status < 200 || status >= 300) return;
        const offset = Number(response.getHeader("Upload-Offset") ?? 0) || 0;
        resumedFrom ??= offset;
        const location = response.getHeader("Location");
        if (method === "POST" && offset > 0 && location) {
          // The server already has bytes of this upload (its resume state was lost, e.g. a crash before it
          // was stored). tus-js-client would PATCH from 0, which the server refuses: resume it instead.
          throw new ExistingUpload(new URL(location, options.endpoint).toString());
        }
      },
      onProgress: options.onProgress,
      onError: (error) => {
        const existing = (error as tus.DetailedError).causingError;
        if (existing instanceof ExistingUpload && conflictRestarts < maxConflictRestarts) {
          conflictRestarts++;
          upload.url = existing.uploadUrl;
          setTimeout(() => {
            if (!settled) upload.start();
          }, 0);
          return;
        }
        const response = (error as tus.DetailedError).originalResponse;
        // An offset conflict once the retries are used up (the server had another offset than
        // tus-js-client thought): asking for the offset again settles it.
        if (
          response &&
          isOffsetConflict(response.getStatus(), response.getBody()) &&
          conflictRestarts < maxConflictRestarts
        ) {
          conflictRestarts++;
          setTimeout(() => {
            if (!settled) upload.start();
          }, 0);
          return;
        }
        const clientError = toClientError(error, what);
        finish(async () => {
          if (
            clientError instanceof ServerError &&
            isFinalUploadError(clientError) &&
            !isTransientServerError(clientError)
          ) {
            // The upload's own error is what is thrown. A resume entry left by a failed
            // commit costs a HEAD that finds the upload gone, then a new upload.
            await store.commit([{ op: "delete", collection: tusCollection, key: fingerprint }]).catch(() => undefined);
          }
          throw clientError;
        });
      },
      onSuccess: () => {
        finish(async () => {
          // A stale entry would only cost a HEAD that finds the upload complete: a store failure here does not fail the upload.
          if (!options.keepResumeState) {
            await store.commit([{ op: "delete", collection: tusCollection, key: fingerprint }]).catch(() => undefined);
          }
          return { uploadUrl: upload.url!, size, resumedFrom: resumedFrom ?? 0, fingerprint };
        });
      },
    });

    signal?.addEventListener("abort", onAbort, { once: true });
    // Aborted while the size and the resume state were read: the abort event has gone by.
    if (signal?.aborted) return onAbort();
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (settled) return;
        const [stored] = previous;
        if (stored) upload.resumeFromPreviousUpload(stored);
        upload.start();
      })
      .catch((error: unknown) =>
        fail(
          new SmsyncClientError(
            "STORE_FAILED",
            `${what}: reading its resume state failed: ${(error as Error)?.message}`,
            { cause: error },
          ),
        ),
      );
  });
}
