// The SDK's public API (docs/client-design.md, "Parts"): what an app calls.
// The queues' rules are in queues/uploadsBeingPrepared.ts, the sync pass in
// engine/SyncEngine.ts; this class wires them to one store, one urql client
// and one outbox, and gives the app typed events.
//
// The shared part (queues, status, reset, lifecycle) is ClientBase.ts; this
// file adds Node's file handling (platform/nodePlatform.ts) and the uploads
// of files by path.
//
// uploadFile (a file the app may change later) copies the bytes into a
// client-owned folder (<workDir>/uploads) while hashing them, so what is
// uploaded is exactly what was queued (platform/hashedCopies.ts), and
// uploadFiles does so for many files at once, queued in one store commit
// (large files may be hard-linked there instead: UploadFilesOptions);
// uploadImmutableFile hashes in place and uploads from the app's path;
// uploadData keeps the bytes in the store (base64; for small payloads).
import { createHash, randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  checkFileUUID,
  ClientBase,
  connectClient,
  type ClientBaseOptions,
  type ClientParts,
  type UploadOptions,
} from "./ClientBase.ts";
import type { DownloadedFile } from "./platform/EnginePlatform.ts";
import { copyFilesHashed, hashFile, removeCopies } from "./platform/hashedCopies.ts";
import { NodePlatform } from "./platform/nodePlatform.ts";
import { checkUploads, queueUpload, queueUploads } from "./queues/uploadsBeingPrepared.ts";

export type { UploadOptions, LocalFileStatus, ClientEvents } from "./ClientBase.ts";

/** One file of uploadFiles: as the arguments of uploadFile. */
export interface FileToUpload {
  fileUUID: string;
  path: string;
  options: UploadOptions;
  /**
   * The file's sha256 and size, when the app knows them already (the CLI's
   * scan hashed the file): a large file linked rather than copied
   * (`linkAtLeastBytes`) whose size is this one is then not read to be
   * hashed again. Bytes that differ from it are found when they go up, and
   * the bytes the file has then go up instead, as for any linked file
   * written since it was queued.
   */
  sha256?: string;
  size?: number;
}

/** A file as uploadFiles queued it: its cloud name in the form the server stores, and the bytes' sha256 and size. */
export interface QueuedFile {
  fileUUID: string;
  cloudFileName: string;
  sha256: string;
  size: number;
}

export interface UploadFilesOptions {
  /**
   * Files of at least this many bytes are hard-linked into the client's
   * folder rather than copied, where the file system allows (else copied):
   * no byte is written. The link keeps the queued bytes through a new file
   * renamed over the app's (an editor's save) and through its deletion; a
   * write into the app's file itself changes them, and then the bytes the
   * file has when it goes up are uploaded (hashed again). Default: every
   * file is copied.
   */
  linkAtLeastBytes?: number;
}

export interface SmsyncClientOptions extends ClientBaseOptions<DownloadedFile> {
  /** A folder the client owns: staged downloads and copies of queued uploads (default: a folder under the OS temp dir). */
  workDir?: string;
}

export class SmsyncClient extends ClientBase<DownloadedFile> {
  private constructor(
    options: SmsyncClientOptions,
    parts: ClientParts<DownloadedFile>,
    private readonly workDir: string,
  ) {
    super(options, parts);
  }

  static async open(options: SmsyncClientOptions): Promise<SmsyncClient> {
    const workDir =
      options.workDir ??
      path.join(
        tmpdir(),
        "smsync-client",
        createHash("sha256").update(`${options.serverUrl}\n${options.token}`).digest("hex").slice(0, 16),
      );
    const platform = new NodePlatform(workDir);
    await platform.prepare();
    return new SmsyncClient(options, await connectClient(options, platform), workDir);
  }

  /** Queues an upload of a file the app may change later: its bytes are copied now (and hashed), and the copy is uploaded. */
  async uploadFile(fileUUID: string, filePath: string, options: UploadOptions): Promise<void> {
    await this.uploadFiles([{ fileUUID, path: filePath, options }]);
  }

  /**
   * Queues uploads of many files the app may change later, as uploadFile
   * does each, all or nothing: the bytes are copied (and hashed) several at
   * once, and the group is queued in one store commit. A file refused (a
   * bad or taken name, a deleted file, a path that is not a file) throws a
   * ClientUsageError whose `fileUUID` names it; nothing of the call is
   * queued and its copies are removed. Resolves with what was queued.
   */
  async uploadFiles(files: readonly FileToUpload[], options: UploadFilesOptions = {}): Promise<QueuedFile[]> {
    this.checkUsable();
    for (const file of files) checkFileUUID(file.fileUUID);
    const names = files.map((file) => ({ fileUUID: file.fileUUID, cloudFileName: file.options.cloudFileName }));
    // A refusal the store can tell before any byte is copied; the store is read again before the commit, as
    // it may change meanwhile. One file, or files all linked rather than copied, go first: a copy or links
    // wasted now and then cost less than a read of every pending upload.
    const linksAll = (options.linkAtLeastBytes ?? Infinity) <= 0;
    if (files.length > 1 && !linksAll) await checkUploads(this.options.store, names);
    const copies = files.map((file) => ({
      fileUUID: file.fileUUID,
      source: file.path,
      target: path.join(this.workDir, "uploads", `${file.fileUUID}.${randomUUID()}`),
      ...(file.sha256 && file.size !== undefined ? { known: { sha256: file.sha256, size: file.size } } : {}),
    }));
    for (const copy of copies) this.engine.copiesBeingQueued.add(copy.target);
    try {
      const hashed = await copyFilesHashed(copies, options);
      const queued = await queueUploads(
        this.options.store,
        files.map((file, index) =>
          this.prepared(
            file.fileUUID,
            { path: copies[index]!.target },
            hashed[index]!.sha256,
            hashed[index]!.size,
            false,
            file.options,
            hashed[index]!.linked,
          ),
        ),
      );
      return queued.map(({ fileUUID, cloudFileName, sha256, size }) => ({ fileUUID, cloudFileName, sha256, size }));
    } catch (error) {
      await removeCopies(copies);
      throw error;
    } finally {
      for (const copy of copies) this.engine.copiesBeingQueued.delete(copy.target);
    }
  }

  /** Queues an upload of a file the app promises not to change until it is uploaded: hashed in place, no copy. */
  async uploadImmutableFile(fileUUID: string, filePath: string, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const { sha256, size } = await hashFile(filePath, fileUUID);
    await queueUpload(this.options.store, this.prepared(fileUUID, { path: filePath }, sha256, size, true, options));
  }
}
