// The large files of an inbound transfer: each fetched by GET (or built
// from the version the device holds, fetching only the blocks it lacks), a
// few at a time (building a file is hashing, which overlaps with the network
// and the disk), and handed to the app one at a time, in the order they
// arrive. Files are added as they are staged (downloads.ts): during the
// transfer, as its FILES_TRANSFERRED events name them, and after its end.
import { stagedCopiesGone } from "./engineErrors.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { HeldBase } from "../transfers/deltaDownloads.ts";
import { fileBlocksOf } from "../transfers/fileDeltas.ts";
import type { BatchProgress } from "./batchProgress.ts";
import type { ByteEndpoints, EngineContext } from "./EngineContext.ts";
import { pendingChanges, putFile } from "./localFiles.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { downloadedInfo } from "./smallDownloads.ts";

/**
 * Large files delivered a few at a time (transferConcurrency) as they are
 * added. The first failure stops the others (those being fetched are
 * aborted, none more is handed over); settle() waits for the files in flight
 * and throws it.
 */
export class LargeDeliveries<D extends DownloadedFileInfo> {
  /** Acknowledged files. */
  count = 0;
  private readonly queue: IndexEntry[] = [];
  private readonly taken = new Set<string>();
  private active = 0;
  private handOvers: Promise<unknown> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private readonly stop = new AbortController();
  private idle: (() => void)[] = [];
  private readonly stopWithPass = () => this.stop.abort(this.ctx.signal.reason);

  constructor(
    private readonly ctx: EngineContext<D>,
    private readonly endpoints: ByteEndpoints,
    private readonly progress: BatchProgress,
  ) {
    if (ctx.signal.aborted) this.stopWithPass();
    else ctx.signal.addEventListener("abort", this.stopWithPass, { once: true });
  }

  /** Adds files to deliver; one added before (staged during the transfer, and still being delivered) is not added again. */
  add(entries: readonly IndexEntry[]): void {
    for (const entry of entries) {
      const key = `${entry.fileUUID}/${entry.version}`;
      if (this.taken.has(key)) continue;
      this.taken.add(key);
      this.queue.push(entry);
    }
    this.pump();
  }

  /** Waits until no file is in flight; throws the first failure. Every pass that made one settles it. */
  async settle(): Promise<void> {
    while (this.active > 0 || (this.queue.length > 0 && !this.failure && !this.stop.signal.aborted)) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
    // The engine's signal outlives the pass: its listener goes with the files (passes would pile them up).
    this.ctx.signal.removeEventListener("abort", this.stopWithPass);
    if (this.failure) throw this.failure.error;
    this.stop.signal.throwIfAborted();
  }

  private pump(): void {
    while (this.active < this.ctx.transferConcurrency && this.queue.length > 0 && !this.stop.signal.aborted) {
      const entry = this.queue.shift()!;
      this.active++;
      void this.deliver(entry).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async deliver(entry: IndexEntry): Promise<void> {
    const { signal } = this.stop;
    try {
      const downloaded = await fetchLargeFile(this.ctx, entry, this.endpoints, this.progress, signal);
      const turn = this.handOvers.then(() => {
        signal.throwIfAborted(); // another file failed, or the pass is stopping: the app is handed nothing more
        return handOverLargeFile(this.ctx, entry, downloaded, this.progress);
      });
      this.handOvers = turn.catch(() => undefined); // its failure is this file's; the next turn goes on
      this.count += await turn;
    } catch (error) {
      if (!this.failure && !this.ctx.signal.aborted) {
        this.failure = { error };
        this.stop.abort(error);
      }
    }
  }
}

/** One large file by GET (or built from the version the device holds), staged for the app. */
async function fetchLargeFile<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  entry: IndexEntry,
  endpoints: ByteEndpoints,
  progress: BatchProgress,
  signal: AbortSignal,
): Promise<D> {
  const { platform } = ctx;
  const base = await heldBaseOf(ctx, entry, endpoints, signal);
  try {
    return await platform.stageDownload(
      {
        signal,
        onProgress: (bytesDone, bytesTotal) => {
          ctx.emit("transferProgress", {
            direction: "download",
            fileUUID: entry.fileUUID,
            version: entry.version,
            bytesDone,
            bytesTotal,
          });
          progress.fileProgress(entry.fileUUID, bytesDone);
        },
        url: endpoints.downloadUrlPattern
          .replace("{fileUUID}", encodeURIComponent(entry.fileUUID))
          .replace("{version}", String(entry.version)),
        token: ctx.token,
        expectedSha256: entry.sha256,
        ...(ctx.transferRetryDelays ? { retryDelays: ctx.transferRetryDelays } : {}),
        ...(base ? { base } : {}),
      },
      downloadedInfo(entry),
    );
  } catch (error) {
    if (stagedCopiesGone(error)) await platform.discardDownload(entry.fileUUID, entry.version);
    throw error;
  }
}

/** A staged large file handed to the app and acknowledged: 1, or 0 when the app changed it meanwhile. */
async function handOverLargeFile<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  entry: IndexEntry,
  downloaded: D,
  progress: BatchProgress,
): Promise<number> {
  const { store, platform } = ctx;
  if ((await pendingChanges(store)).has(entry.fileUUID)) {
    // The app changed or deleted the file after this download was planned (the plan saw no pending change): handing
    // it over would undo the app's change. Not delivered and not taken as known, so the next plan sees the server's
    // version against the app's change, a conflict for resolveConflict (sim seed 6002).
    await store.commit([{ op: "delete", collection: "beingDownloaded", key: entry.fileUUID }]);
    await platform.discardDownload(entry.fileUUID, entry.version);
    progress.fileDone(entry.fileUUID);
    return 0;
  }
  await ctx.callbacks.saveDownload(downloaded);
  await store.commit([{ op: "delete", collection: "beingDownloaded", key: entry.fileUUID }, putFile(entry)]);
  await ctx.persistencePoint("download.fileAcknowledged");
  await platform.discardDownload(entry.fileUUID, entry.version);
  progress.fileDone(entry.fileUUID);
  ctx.emit("singleDownloadComplete", { fileUUID: entry.fileUUID, version: entry.version });
  return 1;
}

/**
 * What a new version of a large file can be built from: the version the
 * device holds (the app's heldContent) and the new version's block hashes.
 * Undefined when there is no such version, the app has no bytes for it, or
 * the blocks cannot be had: the file then comes down whole.
 */
async function heldBaseOf<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  entry: IndexEntry,
  endpoints: ByteEndpoints,
  signal: AbortSignal,
): Promise<HeldBase | undefined> {
  if (!ctx.callbacks.heldContent || !ctx.platform.buildsFromHeldCopies) return undefined;
  const held = await ctx.store.get("files", entry.fileUUID);
  if (!held || held.deleted || (held.version !== null && held.version >= entry.version)) return undefined;
  const content = await ctx.callbacks.heldContent(held);
  if (content === null) return undefined;
  try {
    const blocks = await fileBlocksOf(endpoints.uploadBatchUrl, ctx.token, entry, signal);
    return blocks ? { content, blocks } : undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    // Only a shortcut: the whole download that follows meets, and reports, whatever failed here.
    return undefined;
  }
}
