// The users' own Google Drives as the cloud (docs/google-drive.md). Each
// user's objects are files under one app folder of their Drive, placed and
// named by their paths (drivePlacement.ts), one file per (fileUUID,
// version), carrying that key and the sha256 in appProperties.
// Exactly once: a write first looks for a file of its key; one with the same
// sha256 is the object written before (a retry after a crash between the
// Drive write and the index update) and is returned without sending a byte;
// ones with other content were left by an abandoned transfer and are deleted
// before the new content goes up, so a key never has two files.
import type { Readable } from "node:stream";
import type { GoogleAccessTokens } from "../../google/GoogleAccessTokens.ts";
import type {
  CloudObject,
  CloudObjectKey,
  CloudObjectMetadata,
  CloudStorage,
  UploadSessionRecord,
} from "../CloudStorage.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import { AppFolders, type DriveFolderRecords } from "./appFolders.ts";
import { DriveApi } from "./DriveApi.ts";
import { drivePlacementOf } from "./drivePlacement.ts";
import { cloudObjectOf, objectProperties, objectsOfKeyQuery, objectsOfUserQuery } from "./driveObjects.ts";
import { ResumableUploader } from "./resumableUpload.ts";
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
  retry?: Partial<RetryPolicy>;
}

export const defaultChunkSize = 8 * 1024 * 1024;

export class GoogleDriveStorage implements CloudStorage {
  readonly name = "google-drive";
  readonly api: DriveApi;
  private readonly folders: AppFolders;
  private readonly uploader: ResumableUploader;

  constructor(options: GoogleDriveStorageOptions) {
    const rootUrl = options.rootUrl.endsWith("/") ? options.rootUrl : `${options.rootUrl}/`;
    this.api = new DriveApi(options.tokens, rootUrl, { ...defaultRetryPolicy, ...options.retry });
    this.folders = new AppFolders(this.api, options.folderRecords, options.folderName ?? "smsync");
    this.uploader = new ResumableUploader(this.api, options.chunkSize ?? defaultChunkSize);
  }

  private async filesOfKey(key: CloudObjectKey): Promise<CloudObject[]> {
    // The app folder is found (or made) first, as by every access of the user's files.
    await this.folders.folderOf(key.userId);
    const files = await this.api.list(key.userId, objectsOfKeyQuery(key));
    return files.map(cloudObjectOf).filter((object): object is CloudObject => object !== null);
  }

  async findObject(key: CloudObjectKey): Promise<CloudObject | null> {
    return (await this.filesOfKey(key))[0] ?? null;
  }

  async writeObject(
    metadata: CloudObjectMetadata,
    content: () => Readable,
    session?: UploadSessionRecord,
  ): Promise<CloudObject> {
    const existing = await this.filesOfKey(metadata);
    const same = existing.find((object) => object.sha256 === metadata.sha256);
    for (const object of existing) {
      if (object !== same) await this.deleteObject(metadata.userId, object.objectId);
    }
    if (same) return same;
    try {
      const placement = drivePlacementOf(metadata.cloudFileName);
      const folderId = await this.folders.folderAt(metadata.userId, placement.folders);
      const file = await this.uploader.upload(
        {
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
        },
        session,
      );
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
