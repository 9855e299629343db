// Drive's resumable upload protocol, streaming: a session is opened with the
// file's metadata, then the content goes up in chunks (multiples of 256 KiB
// but the last), each answered 308 with the bytes Drive has persisted. After
// a cut (a dropped connection, 5xx, rate limit) the status query (PUT with
// `Content-Range: bytes */size`) says how far Drive got, and the upload goes
// on from there: bytes Drive has are never sent again. The session URI is
// recorded with the transfer's file row (when the caller gives a record), so
// a server started again after a crash resumes it the same way. An expired
// session (404, 410) starts a new one from the first byte. The sha256 is
// checked before the last chunk is sent, so content that does not match
// never becomes a Drive file; Drive's md5Checksum is checked against the md5
// of what was sent.
import type { Readable } from "node:stream";
import type { UploadSessionRecord } from "../CloudStorage.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import { ContentChunks } from "./ContentChunks.ts";
import { fileFields, type DriveApi, type DriveFile } from "./DriveApi.ts";
import { failureOfAnswer, toDriveFailure } from "./driveFailures.ts";
import { headerOfAnswer, jsonOf, rawRequest, type RawAnswer } from "./rawRequest.ts";
import { backoffDelay, retriedInRequest, withRetries } from "./retryPolicy.ts";
import { checkMd5, checkSha256 } from "./uploadChecks.ts";

export const chunkQuantum = 256 * 1024;
/** New sessions tried after the first expired, before the upload fails as transient. */
const maxSessionRestarts = 3;

export interface ResumableUploadRequest {
  userId: string;
  metadata: DriveFile;
  mimeType: string;
  size: number;
  sha256: string;
  content: () => Readable;
}

/** 404 on the session URI: Drive dropped the session (they last about a week); a new one starts over. */
class SessionExpiredError extends CloudStorageError {
  override name = "SessionExpiredError";

  constructor(message: string) {
    super("notFound", message);
  }
}

type Progress = { done: true; file: DriveFile } | { done: false; persisted: number };

export class ResumableUploader {
  constructor(
    private readonly api: DriveApi,
    private readonly chunkSize: number,
  ) {
    if (chunkSize <= 0 || chunkSize % chunkQuantum !== 0)
      throw new Error(`chunk size must be a multiple of 256 KiB, not ${chunkSize}`);
  }

  /**
   * With a session record, a session that an earlier process opened for this
   * upload (and recorded: `recorded`, which the caller has loaded) is resumed
   * from the offset Drive reports for it; a new session is opened, and
   * recorded, only when there is none or Drive says it is gone (404, 410).
   */
  async upload(
    request: ResumableUploadRequest,
    record: UploadSessionRecord | undefined,
    recorded: string | null,
  ): Promise<DriveFile> {
    for (let restarts = 0; ;) {
      const resumed = recorded !== null;
      const sessionUri = recorded ?? (await this.startSession(request));
      if (!resumed) await record?.save(sessionUri);
      recorded = null;
      try {
        return await this.sendContent(request, sessionUri, resumed);
      } catch (error) {
        if (!(error instanceof SessionExpiredError)) throw error;
        await record?.save(null);
        // A recorded session found gone is no restart: nothing was sent on it by this process.
        if (!resumed && ++restarts > maxSessionRestarts) {
          throw new CloudStorageError("transient", `upload sessions kept expiring (${restarts})`);
        }
      }
    }
  }

  private startSession(request: ResumableUploadRequest): Promise<string> {
    const url = `${this.api.rootUrl}upload/drive/v3/files?uploadType=resumable&fields=${encodeURIComponent(fileFields)}`;
    const body = Buffer.from(JSON.stringify(request.metadata));
    return withRetries(this.api.retryPolicy, "starting a Drive upload", () =>
      this.api.withToken(request.userId, "starting a Drive upload", async (token) => {
        const answer = await rawRequest(
          url,
          "POST",
          {
            authorization: `Bearer ${token}`,
            "content-type": "application/json; charset=UTF-8",
            "x-upload-content-type": request.mimeType,
            "x-upload-content-length": String(request.size),
          },
          body,
        );
        const location = answer.headers.location;
        if (answer.status !== 200 || typeof location !== "string") {
          throw failureOfAnswer(
            "starting a Drive upload",
            answer.status,
            jsonOf(answer),
            headerOfAnswer(answer, "retry-after"),
          );
        }
        return location;
      }),
    );
  }

  /** Sends the content from the first byte, or, on a resumed session, from the offset Drive reports. */
  private async sendContent(request: ResumableUploadRequest, sessionUri: string, resumed: boolean): Promise<DriveFile> {
    const chunks = new ContentChunks(request.content, this.chunkSize, request.size);
    const policy = this.api.retryPolicy;
    let offset = 0;
    let failuresInARow = 0;
    try {
      if (resumed) {
        const progress = await this.queryStatus(request.userId, sessionUri, request.size);
        if (progress.done) {
          // Finished before the crash: the content is read (not sent) for its checksums.
          await chunks.chunkAt(request.size);
          this.checkSha256(chunks, request);
          return await this.checkMd5(request.userId, progress.file, chunks);
        }
        offset = progress.persisted;
      }
      for (;;) {
        const chunk = await chunks.chunkAt(offset);
        if (chunk.last) this.checkSha256(chunks, request);
        let progress: Progress;
        try {
          progress = await this.sendChunk(
            request.userId,
            sessionUri,
            chunk.bytes.subarray(offset - chunk.start),
            offset,
            request.size,
          );
          failuresInARow = 0;
        } catch (error) {
          const failure = await toDriveFailure("sending a Drive upload chunk", error);
          if (!retriedInRequest(failure) || ++failuresInARow >= policy.maxAttempts) throw failure;
          if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) throw failure;
          await policy.sleep(backoffDelay(policy, failuresInARow, failure.retryAfterMs));
          // How far did Drive get? Resume there, whatever part of the chunk it kept.
          progress = await this.queryStatus(request.userId, sessionUri, request.size);
        }
        if (progress.done) return await this.checkMd5(request.userId, progress.file, chunks);
        offset = progress.persisted;
      }
    } finally {
      await chunks.close();
    }
  }

  private checkSha256(chunks: ContentChunks, request: ResumableUploadRequest): void {
    checkSha256(chunks.digests().sha256, request.sha256);
  }

  private checkMd5(userId: string, file: DriveFile, chunks: ContentChunks): Promise<DriveFile> {
    return checkMd5(this.api, userId, file, chunks.digests().md5);
  }

  /** One PUT of bytes from `offset`; Content-Range names the whole size, so Drive knows the last chunk. */
  private sendChunk(
    userId: string,
    sessionUri: string,
    bytes: Buffer,
    offset: number,
    size: number,
  ): Promise<Progress> {
    const contentRange = size === 0 ? "bytes */0" : `bytes ${offset}-${offset + bytes.length - 1}/${size}`;
    return this.api.withToken(userId, "sending a Drive upload chunk", async (token) =>
      progressOf(
        await rawRequest(sessionUri, "PUT", { authorization: `Bearer ${token}`, "content-range": contentRange }, bytes),
      ),
    );
  }

  private queryStatus(userId: string, sessionUri: string, size: number): Promise<Progress> {
    return withRetries(this.api.retryPolicy, "asking Drive how far an upload got", () =>
      this.api.withToken(userId, "asking Drive how far an upload got", async (token) =>
        progressOf(
          await rawRequest(sessionUri, "PUT", { authorization: `Bearer ${token}`, "content-range": `bytes */${size}` }),
        ),
      ),
    );
  }
}

function progressOf(answer: RawAnswer): Progress {
  if (answer.status === 200 || answer.status === 201) return { done: true, file: jsonOf(answer) as DriveFile };
  if (answer.status === 308) {
    // Range: bytes=0-N means N + 1 bytes persisted; no Range means none.
    const range = /^bytes=0-(\d+)$/.exec(headerOfAnswer(answer, "range") ?? "");
    return { done: false, persisted: range ? Number(range[1]) + 1 : 0 };
  }
  if (answer.status === 404 || answer.status === 410)
    throw new SessionExpiredError(`the upload session is gone (${answer.status})`);
  throw failureOfAnswer("uploading to Drive", answer.status, jsonOf(answer), headerOfAnswer(answer, "retry-after"));
}
