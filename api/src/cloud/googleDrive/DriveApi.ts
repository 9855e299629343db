// The Drive v3 calls the backend makes through googleapis (@googleapis/drive),
// each for one user: with that user's access token (refreshed once on a 401),
// retried with backoff when transient, and with `rootUrl` passed on every
// call (googleapis applies a client-level rootUrl to some requests only; see
// shared/DEPENDENCIES.md), so tests reach the fake Drive and nothing else.
// googleapis' own retries are off: the backoff here is the only one.
import { drive, type drive_v3 } from "@googleapis/drive";
import type { GoogleAccessTokens } from "../../google/GoogleAccessTokens.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import { DriveRequestError, headerOf, toDriveFailure } from "./driveFailures.ts";
import type { ByteRange, DownloadAnswer } from "./resumingDownload.ts";
import { withAccessToken } from "./withAccessToken.ts";
import { withRetries, type RetryPolicy } from "./retryPolicy.ts";

export type DriveFile = drive_v3.Schema$File;

/** The fields the backend reads of a file. */
export const fileFields = "id, name, mimeType, size, md5Checksum, appProperties, trashed, createdTime";

export class DriveApi {
  private readonly client = drive({ version: "v3" });

  constructor(
    private readonly tokens: GoogleAccessTokens,
    readonly rootUrl: string,
    readonly retryPolicy: RetryPolicy,
  ) {}

  /** A call with the user's token, retried; `options` carries rootUrl and the Authorization header. */
  call<T>(
    userId: string,
    what: string,
    request: (options: { rootUrl: string; headers: Record<string, string>; retry: false }) => Promise<T>,
  ): Promise<T> {
    return withRetries(this.retryPolicy, what, () =>
      withAccessToken(this.tokens, userId, what, (token) =>
        request({ rootUrl: this.rootUrl, headers: { Authorization: `Bearer ${token}` }, retry: false }),
      ),
    );
  }

  /** Every file matching `q`, all pages. */
  async list(userId: string, q: string): Promise<DriveFile[]> {
    const files: DriveFile[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call(userId, "listing Drive files", (options) =>
        this.client.files.list(
          { q, pageSize: 1000, pageToken, fields: `nextPageToken, files(${fileFields})`, spaces: "drive" },
          options,
        ),
      );
      files.push(...(page.data.files ?? []));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    return files;
  }

  async get(userId: string, fileId: string): Promise<DriveFile> {
    const answer = await this.call(userId, `reading Drive file ${fileId}`, (options) =>
      this.client.files.get({ fileId, fields: fileFields }, options),
    );
    return answer.data;
  }

  /**
   * Creates a folder exactly once, even when the answer to its creation is
   * lost: the folder gets an id generated beforehand (files.generateIds),
   * and every retry first asks whether a folder of that id exists (the lost
   * answer's creation) before creating it again. A 409 (the id is taken:
   * the earlier attempt made it) is the same folder.
   */
  async createFolderOnce(userId: string, requestBody: DriveFile, what: string): Promise<DriveFile> {
    const id = await this.generateId(userId);
    let attempted = false;
    return withRetries(this.retryPolicy, what, () =>
      withAccessToken(this.tokens, userId, what, async (token) => {
        const options = { rootUrl: this.rootUrl, headers: { Authorization: `Bearer ${token}` }, retry: false as const };
        if (attempted) {
          const made = await this.existing(id, options);
          if (made) return made;
        }
        attempted = true;
        try {
          return (await this.client.files.create({ requestBody: { ...requestBody, id }, fields: fileFields }, options))
            .data;
        } catch (error) {
          const failure = await toDriveFailure(what, error);
          if (failure instanceof DriveRequestError && failure.status === 409) {
            const made = await this.existing(id, options);
            if (made) return made;
          }
          throw failure;
        }
      }),
    );
  }

  private async generateId(userId: string): Promise<string> {
    const answer = await this.call(userId, "generating a Drive file id", (options) =>
      this.client.files.generateIds({ count: 1, space: "drive", type: "files" }, options),
    );
    const [id] = answer.data.ids ?? [];
    if (!id) throw new CloudStorageError("transient", "Drive generated no file id");
    return id;
  }

  /** The file of this id, or null when Drive has none (one call, inside a retry of the caller's). */
  private async existing(
    fileId: string,
    options: { rootUrl: string; headers: Record<string, string>; retry: false },
  ): Promise<DriveFile | null> {
    try {
      return (await this.client.files.get({ fileId, fields: fileFields }, options)).data;
    } catch (error) {
      const failure = await toDriveFailure(`reading Drive file ${fileId}`, error);
      if (failure.kind === "notFound") return null;
      throw failure;
    }
  }

  /** Removes the file for good (not to the trash); see docs/google-drive.md. */
  async delete(userId: string, fileId: string): Promise<void> {
    await this.call(userId, `deleting Drive file ${fileId}`, (options) =>
      this.client.files.delete({ fileId }, options),
    );
  }

  /** The content (alt=media), a byte range of it if asked, as a stream, with its length when Drive said. */
  async download(userId: string, fileId: string, range?: ByteRange): Promise<DownloadAnswer> {
    const answer = await this.call(userId, `downloading Drive file ${fileId}`, (options) =>
      this.client.files.get(
        { fileId, alt: "media" },
        {
          ...options,
          responseType: "stream",
          headers: { ...options.headers, ...(range ? { Range: `bytes=${range.start}-${range.end ?? ""}` } : {}) },
        },
      ),
    );
    const length = Number(headerOf(answer.headers as Headers | Record<string, string>, "content-length"));
    return {
      body: answer.data,
      length: Number.isFinite(length) && length >= 0 ? length : undefined,
      status: answer.status,
    };
  }

  /** The user's access token for a request made outside googleapis (the resumable upload). */
  withToken<T>(userId: string, what: string, request: (accessToken: string) => Promise<T>): Promise<T> {
    return withAccessToken(this.tokens, userId, what, request);
  }
}
