// The users' own Google Drives as the cloud (docs/google-drive.md). Each
// user's objects are files under one app folder of their Drive, placed and
// named by their paths (drivePlacement.ts), one file per (fileUUID,
// version), carrying that key and the sha256 in appProperties.
// Small files go up in one request (multipartUpload.ts), larger ones over
// the resumable protocol (resumableUpload.ts).
// Exactly once: a write that an earlier attempt may have made already (the
// transfer's file row records that a write of it began: a resumable
// session, or a one-request upload sent; or the transfer says a given-up
// batch wrote the key) first looks for a file of its key. One with the same
// sha256 is the object written before (a retry after a crash between the
// Drive write and the index update) and is returned without sending a byte;
// ones with other content were left by an abandoned transfer and are deleted
// before the new content goes up, so a key never has two files. A fresh
// write looks for nothing: nothing can be there.
import type { Readable } from "node:stream";
import type { GoogleAccessTokens } from "../../google/GoogleAccessTokens.ts";
import type { CloudObject, CloudObjectKey, CloudObjectMetadata, CloudStorage, WriteOptions } from "../CloudStorage.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import { AppFolders, type DriveFolderRecords } from "./appFolders.ts";
import { DriveApi, type DriveFile } from "./DriveApi.ts";
import { drivePlacementOf } from "./drivePlacement.ts";
import { cloudObjectOf, objectProperties, objectsOfKeyQuery, objectsOfUserQuery } from "./driveObjects.ts";
import { MultipartUploader, multipartMaxBytes } from "./multipartUpload.ts";
import { ResumableUploader, type ResumableUploadRequest } from "./resumableUpload.ts";
import { resumingDownload } from "./resumingDownload.ts";
import { defaultRetryPolicy, type RetryPolicy } from "./retryPolicy.ts";

export interface GoogleDriveStorageOptions {
  tokens: GoogleAccessTokens;
  folderRecords: DriveFolderRecords;
  /** Google's API root, https://www.googleapis.com/ (a fake Drive's in tests). */
  rootUrl: string;
  folderName?: string;
  /** Bytes per upload request, a multiple of 256 KiB. */
  chunkSize?: number;
  /** Files up to this size go up in one request; at most (and by default) multipartMaxBytes. */
  oneRequestMaxBytes?: number;
  retry?: Partial<RetryPolicy>;
}

export const defaultChunkSize = 8 * 1024 * 1024;

/**
 * Recorded in the session record before a one-request upload is sent: a
 * process started again after a crash looks for the file it may have made.
 * Not a session URI, so never resumed as one.
 */
export const oneRequestUploadSent = "drive-multipart-upload-sent";

export class GoogleDriveStorage implements CloudStorage {
  readonly name = "google-drive";
  readonly api: DriveApi;
  private readonly folders: AppFolders;
  private readonly uploader: ResumableUploader;
  private readonly oneRequest: MultipartUploader;
  private readonly oneRequestMaxBytes: number;

  constructor(options: GoogleDriveStorageOptions) {
    const rootUrl = options.rootUrl.endsWith("/") ? options.rootUrl : `${options.rootUrl}/`;
    this.api = new DriveApi(options.tokens, rootUrl, { ...defaultRetryPolicy, ...options.retry });
    this.folders = new AppFolders(this.api, options.folderRecords, options.folderName ?? "smsync");
    this.uploader = new ResumableUploader(this.api, options.chunkSize ?? defaultChunkSize);
    this.oneRequest = new MultipartUploader(this.api);
    this.oneRequestMaxBytes = options.oneRequestMaxBytes ?? multipartMaxBytes;
    if (this.oneRequestMaxBytes > multipartMaxBytes)
      throw new Error(`one-request uploads take at most ${multipartMaxBytes} bytes, not ${this.oneRequestMaxBytes}`);
  }

  private async filesOfKey(key: CloudObjectKey): Promise<{ file: DriveFile; object: CloudObject }[]> {
    // The app folder is found (or made) first, as by every access of the user's files.
    await this.folders.folderOf(key.userId);
    const files = await this.api.list(key.userId, objectsOfKeyQuery(key));
    return files.flatMap((file) => {
      const object = cloudObjectOf(file);
      return object ? [{ file, object }] : [];
    });
  }

  async findObject(key: CloudObjectKey): Promise<CloudObject | null> {
    return (await this.filesOfKey(key))[0]?.object ?? null;
  }

  /**
   * The file an earlier attempt at this write made (same key, same sha256),
   * if any; files of the key with other content are removed.
   */
  private async earlierWrite(metadata: CloudObjectMetadata): Promise<{ file: DriveFile; object: CloudObject } | null> {
    const existing = await this.filesOfKey(metadata);
    const same = existing.find(({ object }) => object.sha256 === metadata.sha256) ?? null;
    for (const { object } of existing) {
      if (object !== same?.object) await this.deleteObject(metadata.userId, object.objectId);
    }
    return same;
  }

  async writeObject(
    metadata: CloudObjectMetadata,
    content: () => Readable,
    options: WriteOptions = {},
  ): Promise<CloudObject> {
    const { session } = options;
    const recorded = (await session?.load()) ?? null;
    if (options.mayAlreadyExist || recorded !== null) {
      const same = await this.earlierWrite(metadata);
      if (same) return same.object;
    }
    try {
      const placement = drivePlacementOf(metadata.cloudFileName);
      const folderId = await this.folders.folderAt(metadata.userId, placement.folders);
      const request: ResumableUploadRequest = {
        userId: metadata.userId,
        metadata: {
          name: placement.name,
          mimeType: metadata.mimeType,
          parents: [folderId],
          appProperties: objectProperties(metadata),
        },
        mimeType: metadata.mimeType,
        size: metadata.size,
        sha256: metadata.sha256,
        content,
      };
      // A session an earlier process opened is resumed whatever the size (a server of another threshold opened it).
      const sessionUri = recorded === oneRequestUploadSent ? null : recorded;
      let file: DriveFile;
      if (sessionUri === null && metadata.size <= this.oneRequestMaxBytes) {
        if (recorded === null) await session?.save(oneRequestUploadSent);
        file = await this.oneRequest.upload(request, async () => (await this.earlierWrite(metadata))?.file ?? null);
      } else {
        file = await this.uploader.upload(request, session, sessionUri);
      }
      const written = cloudObjectOf(file);
      if (!written)
        throw new CloudStorageError(
          "permanent",
          `Drive answered the upload of ${metadata.fileUUID} v${metadata.version} without its appProperties`,
        );
      return written;
    } catch (error) {
      // The app folder or a folder of the path is gone (deleted by the user): find or make them anew on the retry.
      if (error instanceof CloudStorageError && error.kind === "notFound") {
        this.folders.forget(metadata.userId);
        throw new CloudStorageError(
          "transient",
          `a Drive folder of user ${metadata.userId} is gone: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable> {
    return resumingDownload(
      (from) => this.api.download(userId, objectId, from),
      range,
      this.api.retryPolicy,
      `downloading Drive file ${objectId}`,
    );
  }

  async deleteObject(userId: string, objectId: string): Promise<void> {
    try {
      await this.api.delete(userId, objectId);
    } catch (error) {
      if (error instanceof CloudStorageError && error.kind === "notFound") return;
      throw error;
    }
  }

  async listObjects(userId: string): Promise<CloudObject[]> {
    await this.folders.folderOf(userId);
    const files = await this.api.list(userId, objectsOfUserQuery(userId));
    return files
      .map(cloudObjectOf)
      .filter((object): object is CloudObject => object !== null)
      .sort((a, b) => a.fileUUID.localeCompare(b.fileUUID) || a.version - b.version);
  }
}
