// The engine's platform in a browser: downloads are handed over as Blobs
// (browserDownload.ts), queued Blobs are read from their copies in IndexedDB
// (UploadCopyStore.ts), inline data from the store. There are no file paths.
import type { UploadSource } from "../queues/records.ts";
import type { DownloadedFileInfo, DownloadRequest, EnginePlatform } from "../platform/EnginePlatform.ts";
import { base64ToBytes } from "../platform/bytes.ts";
import { LocalSourceError, type UploadContent } from "../transfers/uploadSources.ts";
import { promised } from "../promised.ts";
import { downloadBlob } from "./browserDownload.ts";
import type { UploadCopyStore } from "./UploadCopyStore.ts";

/** A downloaded file in a browser, handed to the app's saveDownload: its verified bytes in `blob` (in memory). */
export interface BrowserDownloadedFile extends DownloadedFileInfo {
  blob: Blob;
}

export class BrowserPlatform implements EnginePlatform<BrowserDownloadedFile> {
  /** A new version comes down whole: building it from a held Blob is left for later. */
  readonly buildsFromHeldCopies = false;

  constructor(private readonly copies: UploadCopyStore) {}

  async stageDownload(
    request: DownloadRequest,
    info: Omit<DownloadedFileInfo, "size">,
  ): Promise<BrowserDownloadedFile> {
    const { blob, size } = await downloadBlob(request);
    return { ...info, blob, size };
  }

  stageDownloadedBytes(
    bytes: Uint8Array<ArrayBuffer>,
    info: Omit<DownloadedFileInfo, "size">,
  ): Promise<BrowserDownloadedFile> {
    return promised(() => ({ ...info, blob: new Blob([bytes]), size: bytes.byteLength }));
  }

  async discardDownload(): Promise<void> {
    // Nothing is kept: the Blob goes when the app lets it go.
  }

  async uploadContent(source: UploadSource): Promise<UploadContent> {
    if ("base64" in source) return base64ToBytes(source.base64);
    if ("path" in source)
      throw new LocalSourceError(`an upload queued in Node (${source.path}) cannot be read in a browser`);
    const blob = await this.copies.get(source.blobKey);
    if (!blob)
      throw new LocalSourceError(
        `the copy of a queued upload (blob ${source.blobKey}) is gone from IndexedDB (storage cleared?)`,
      );
    return blob;
  }

  hashUploadSource(): Promise<{ sha256: string; size: number }> {
    // Nothing is linked in a browser: its queued uploads are copies in IndexedDB.
    return Promise.reject(new LocalSourceError("a browser's queued uploads are copies, never hashed again"));
  }

  async removeUploadCopy(source: UploadSource): Promise<void> {
    if ("blobKey" in source) await this.copies.delete(source.blobKey);
  }

  async sweepUploadCopies(referenced: UploadSource[], beingQueued: ReadonlySet<string>): Promise<void> {
    const kept = new Set(beingQueued);
    for (const source of referenced) if ("blobKey" in source) kept.add(source.blobKey);
    for (const key of await this.copies.keys()) if (!kept.has(key)) await this.copies.delete(key);
  }
}
