// The seam between the sync engine and where it runs (Node or a browser):
// how a staged download reaches the app, where a queued upload's bytes are
// read from, and the client-owned copies of queued uploads. Everything else
// in the engine (store, GraphQL, tus) is the same on both.
import type { UploadSource } from "../queues/records.ts";
import type { HeldBase } from "../transfers/deltaDownloads.ts";
import type { UploadContent } from "../transfers/uploadSources.ts";

/** What the engine knows of a downloaded file, on every platform. */
export interface DownloadedFileInfo {
  fileUUID: string;
  version: number;
  cloudFileName: string;
  mimeType: string;
  appMetaData: string | null;
  sha256: string;
  size: number;
}

/** A downloaded file in Node, handed to the app's saveDownload; `path` is a staging file the app must copy or move before resolving. */
export interface DownloadedFile extends DownloadedFileInfo {
  path: string;
  /**
   * A small file that came in a batch download: its verified bytes, held in
   * memory. Its staging file is written only when `path` is first read, so
   * an app that writes `bytes` itself saves a write, a move and a removal.
   */
  bytes?: Uint8Array<ArrayBuffer>;
}

/** A download to fetch: the staged file's URL, verified against the index's sha256. */
export interface DownloadRequest {
  url: string;
  token: string;
  expectedSha256: string;
  signal: AbortSignal;
  onProgress: (bytesDone: number, bytesTotal: number | null) => void;
  retryDelays?: number[];
  /** The version the device holds and the new version's block hashes, to fetch only the blocks that differ (Node; a browser downloads the whole file). */
  base?: HeldBase;
}

export interface EnginePlatform<D extends DownloadedFileInfo> {
  /** Whether stageDownload uses a request's base (Node), so that asking for block hashes is worth it. */
  readonly buildsFromHeldCopies: boolean;
  /**
   * Fetches and verifies a staged download and returns what the app's
   * saveDownload is given. What it leaves behind (staging file, partial
   * bytes) stays until discardDownload, so a relaunch can resume.
   */
  stageDownload(request: DownloadRequest, info: Omit<DownloadedFileInfo, "size">): Promise<D>;
  /**
   * Keeps the verified bytes of a small file that came in a batch download
   * and returns what the app's saveDownload is given. Not made durable: a
   * relaunch downloads a small file again rather than resuming it.
   */
  stageDownloadedBytes(bytes: Uint8Array<ArrayBuffer>, info: Omit<DownloadedFileInfo, "size">): Promise<D>;
  /** Drops what a download of (fileUUID, version) left: after the app acknowledged it, or when it is given up. */
  discardDownload(fileUUID: string, version: number): Promise<void>;
  /** The bytes tus reads for a queued upload. */
  uploadContent(source: UploadSource): Promise<UploadContent>;
  /** The sha256 and size a linked upload's bytes have now (PreparedUpload.linked: the app's file was written meanwhile). */
  hashUploadSource(source: UploadSource, fileUUID: string): Promise<{ sha256: string; size: number }>;
  /** Removes the client-owned copy of an uploaded change (nothing for the app's own files or inline data). */
  removeUploadCopy(source: UploadSource, immutable: boolean): Promise<void>;
  /** Removes the client-owned copies that none of `referenced` names and that are not `beingQueued` (ids the app's upload calls are creating now). */
  sweepUploadCopies(referenced: UploadSource[], beingQueued: ReadonlySet<string>): Promise<void>;
}
