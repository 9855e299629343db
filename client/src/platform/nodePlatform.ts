// The engine's platform in Node and Electron: staged downloads are files
// under <workDir>/downloads (resumed with Range from their `.partial` file),
// and copies of queued uploads are files under <workDir>/uploads.
import { mkdirSync, writeFileSync } from "node:fs";
import { readdir, rm, unlink } from "node:fs/promises";
import path from "node:path";
import type { UploadSource } from "../queues/records.ts";
import { discardPartialDownload, downloadFile } from "../transfers/downloader.ts";
import { LocalSourceError, type UploadContent } from "../transfers/uploadSources.ts";
import { promised } from "../promised.ts";
import { makeDirectoryDurably } from "./durableFiles.ts";
import { hashFile } from "./hashedCopies.ts";
import type { DownloadedFile, DownloadedFileInfo, DownloadRequest, EnginePlatform } from "./EnginePlatform.ts";

export class NodePlatform implements EnginePlatform<DownloadedFile> {
  readonly buildsFromHeldCopies = true;

  /** A client-owned folder: <workDir>/downloads and <workDir>/uploads. */
  constructor(readonly workDir: string) {}

  get uploadsDir(): string {
    return path.join(this.workDir, "uploads");
  }

  /** Creates the folders (the uploads folder must exist before the first copy is made). */
  async prepare(): Promise<void> {
    await makeDirectoryDurably(this.uploadsDir);
  }

  private stagingPath(fileUUID: string, version: number): string {
    return path.join(this.workDir, "downloads", `${fileUUID}.${version}`);
  }

  async stageDownload(request: DownloadRequest, info: Omit<DownloadedFileInfo, "size">): Promise<DownloadedFile> {
    const downloaded = await downloadFile({
      signal: request.signal,
      onProgress: request.onProgress,
      url: request.url,
      token: request.token,
      destination: this.stagingPath(info.fileUUID, info.version),
      expectedSha256: request.expectedSha256,
      ...(request.retryDelays ? { retryDelays: request.retryDelays } : {}),
      ...(request.base ? { base: request.base } : {}),
    });
    return { ...info, path: downloaded.path, size: downloaded.size };
  }

  /**
   * Held in memory, written to its staging file only when the app reads
   * `path` (not durable either way: a relaunch downloads a small file
   * again). An app that takes `bytes` (the CLI) costs no staging file.
   */
  stageDownloadedBytes(
    bytes: Uint8Array<ArrayBuffer>,
    info: Omit<DownloadedFileInfo, "size">,
  ): Promise<DownloadedFile> {
    const staged = this.stagingPath(info.fileUUID, info.version);
    const unwritten = this.unwrittenStagings;
    unwritten.add(staged);
    return Promise.resolve({
      ...info,
      size: bytes.byteLength,
      bytes,
      get path() {
        if (unwritten.delete(staged)) {
          mkdirSync(path.dirname(staged), { recursive: true });
          writeFileSync(staged, bytes);
        }
        return staged;
      },
    });
  }

  /** Staging files of batch downloads whose `path` was never read: nothing on disk to discard. */
  private readonly unwrittenStagings = new Set<string>();

  async discardDownload(fileUUID: string, version: number): Promise<void> {
    const staged = this.stagingPath(fileUUID, version);
    if (this.unwrittenStagings.delete(staged)) return;
    await rm(staged, { force: true });
    await discardPartialDownload(staged);
  }

  uploadContent(source: UploadSource): Promise<UploadContent> {
    return promised(() => {
      if ("path" in source) return source.path;
      if ("base64" in source) return Buffer.from(source.base64, "base64");
      throw new LocalSourceError(`an upload queued in a browser (blob ${source.blobKey}) cannot be read in Node`);
    });
  }

  async hashUploadSource(source: UploadSource, fileUUID: string): Promise<{ sha256: string; size: number }> {
    if (!("path" in source)) throw new LocalSourceError("only an upload from a file can be hashed again");
    try {
      return await hashFile(source.path, fileUUID);
    } catch (error) {
      throw new LocalSourceError(`cannot read ${source.path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async removeUploadCopy(source: UploadSource, immutable: boolean): Promise<void> {
    if (!("path" in source) || immutable) return;
    // unlink, not rm: one call (rm looks first), and a copy already gone is no failure.
    await unlink(source.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  async sweepUploadCopies(referenced: UploadSource[], beingQueued: ReadonlySet<string>): Promise<void> {
    const kept = new Set<string>([...beingQueued].map((file) => path.resolve(file)));
    for (const source of referenced) if ("path" in source) kept.add(path.resolve(source.path));
    let names: string[];
    try {
      names = await readdir(this.uploadsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // no upload was ever copied
      throw error;
    }
    for (const name of names) {
      const file = path.resolve(this.uploadsDir, name);
      // A .tmp file is a copy being written (renamed once complete). A copy
      // already gone is no failure (force); any other failure is the pass's.
      if (!kept.has(file) && !name.endsWith(".tmp")) await rm(file, { force: true });
    }
  }
}
