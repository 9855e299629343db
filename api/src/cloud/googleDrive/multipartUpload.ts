// Drive's one-request upload (uploadType=multipart): the file's metadata and
// its bytes in one multipart/related POST, answered with the file. Small
// files go up this way: one request where the resumable protocol takes two
// (a session, then the bytes). The content is read whole first (it is small),
// so its sha256 is checked before anything is sent; Drive's md5Checksum is
// checked against it after.
//
// Exactly once within a write: a try whose outcome is unknown (a 5xx, a
// timeout, a connection cut before the answer) may have made the file. The
// next try first asks for the file of the object's key (`findWritten`) and
// sends the bytes again only if there is none. A refusal Drive answered (a
// rate limit, a 401) made nothing, and is retried without asking.
import { randomBytes } from "node:crypto";
import { ContentChunks } from "./ContentChunks.ts";
import { fileFields, type DriveApi, type DriveFile } from "./DriveApi.ts";
import { failureOfAnswer, toDriveFailure } from "./driveFailures.ts";
import { headerOfAnswer, jsonOf, rawRequest } from "./rawRequest.ts";
import type { ResumableUploadRequest } from "./resumableUpload.ts";
import { withRetries } from "./retryPolicy.ts";
import { checkMd5, checkSha256 } from "./uploadChecks.ts";
import { CloudStorageError } from "../CloudStorageError.ts";

/** Drive's documented ceiling for a multipart upload: larger files go up resumable. */
export const multipartMaxBytes = 5 * 1024 * 1024;

const what = "uploading to Drive in one request";

export class MultipartUploader {
  constructor(private readonly api: DriveApi) {}

  async upload(request: ResumableUploadRequest, findWritten: () => Promise<DriveFile | null>): Promise<DriveFile> {
    if (request.size > multipartMaxBytes)
      throw new Error(`a multipart upload takes at most ${multipartMaxBytes} bytes, not ${request.size}`);
    const { bytes, md5, sha256 } = await readWhole(request);
    checkSha256(sha256, request.sha256);
    const boundary = boundaryFor(bytes);
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(request.metadata)}\r\n` +
          `--${boundary}\r\nContent-Type: ${request.mimeType}\r\n\r\n`,
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const url = `${this.api.rootUrl}upload/drive/v3/files?uploadType=multipart&fields=${encodeURIComponent(fileFields)}`;
    let outcomeUnknown = false;
    const file = await withRetries(this.api.retryPolicy, what, async () => {
      if (outcomeUnknown) {
        const written = await findWritten();
        if (written) return written;
      }
      try {
        return await this.api.withToken(request.userId, what, async (token) => {
          const answer = await rawRequest(
            url,
            "POST",
            { authorization: `Bearer ${token}`, "content-type": `multipart/related; boundary=${boundary}` },
            body,
          );
          if (answer.status !== 200)
            throw failureOfAnswer(what, answer.status, jsonOf(answer), headerOfAnswer(answer, "retry-after"));
          const made = jsonOf(answer) as DriveFile | undefined;
          if (!made?.id) throw new CloudStorageError("transient", `${what}: Drive answered 200 without the file`);
          return made;
        });
      } catch (error) {
        const failure = await toDriveFailure(what, error);
        if (failure.kind === "transient") outcomeUnknown = true;
        throw failure;
      }
    });
    return checkMd5(this.api, request.userId, file, md5);
  }
}

/** The content in memory (at most multipartMaxBytes), its length checked against the declared size. */
async function readWhole(request: ResumableUploadRequest): Promise<{ bytes: Buffer; md5: string; sha256: string }> {
  const chunks = new ContentChunks(request.content, Math.max(request.size, 1), request.size);
  try {
    const { bytes } = await chunks.chunkAt(0);
    return { bytes, ...chunks.digests() };
  } finally {
    await chunks.close();
  }
}

/** A boundary the content does not contain (a random one almost never does). */
function boundaryFor(bytes: Buffer): string {
  for (;;) {
    const boundary = `smsync_${randomBytes(16).toString("hex")}`;
    if (!bytes.includes(boundary)) return boundary;
  }
}
