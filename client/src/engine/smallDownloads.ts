// Small files of an inbound transfer, many to a response (the batch
// download path): handed to the app one by one, or all at once to its
// saveDownloads, and each group acknowledged in one commit.
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import { downloadBatch } from "../transfers/batchDownloader.ts";
import type { BatchProgress } from "./batchProgress.ts";
import type { ByteEndpoints, EngineContext } from "./EngineContext.ts";
import { forEachConcurrently } from "./forEachConcurrently.ts";
import { groupsWithin } from "./groupsWithin.ts";
import { pendingChanges, putFile } from "./localFiles.ts";
import type { IndexEntry } from "./planDownloads.ts";

/** Bytes of small files per batch response: one response's files are acknowledged in one commit. */
const smallFileResponseBytes = 8 * 1024 * 1024;

/** Small files in groups within serverInfo's batch limits. */
export function requestGroups(entries: IndexEntry[], endpoints: ByteEndpoints): IndexEntry[][] {
  return groupsWithin(
    entries,
    { count: endpoints.batchMaxFiles, bytes: Math.min(endpoints.batchMaxBytes, smallFileResponseBytes) },
    (entry) => entry.size,
  );
}

export function downloadedInfo(entry: IndexEntry) {
  return {
    fileUUID: entry.fileUUID,
    version: entry.version,
    cloudFileName: entry.cloudFileName,
    mimeType: entry.mimeType,
    appMetaData: entry.appMetaData,
    sha256: entry.sha256,
  };
}

/**
 * A group of small files by one batch download, handed to the app (one by
 * one, or together to saveDownloads once the download ends) and acknowledged
 * in one commit.
 */
export async function deliverSmallFiles<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  group: IndexEntry[],
  endpoints: ByteEndpoints,
  progress: BatchProgress,
): Promise<number> {
  const byUUID = new Map(group.map((entry) => [entry.fileUUID, entry]));
  const saveDownloads = ctx.callbacks.saveDownloads?.bind(ctx.callbacks);
  // For saveDownloads, each file is staged while the next ones stream in, a few at once, kept in arrival order.
  const staging: { entry: IndexEntry; file: Promise<D> }[] = [];
  let received: { entry: IndexEntry; file: D }[] = [];
  const acknowledged = new Set<IndexEntry>();
  const skipped: IndexEntry[] = [];
  try {
    try {
      await downloadBatch({
        url: endpoints.downloadBatchUrl,
        token: ctx.token,
        files: group.map((entry) => ({ fileUUID: entry.fileUUID, version: entry.version, sha256: entry.sha256 })),
        signal: ctx.signal,
        ...(ctx.transferRetryDelays ? { retryDelays: ctx.transferRetryDelays } : {}),
        onFile: async (file, bytes) => {
          const entry = byUUID.get(file.fileUUID)!;
          const arrived = { direction: "download", fileUUID: entry.fileUUID, version: entry.version } as const;
          ctx.emit("transferProgress", { ...arrived, bytesDone: bytes.byteLength, bytesTotal: entry.size });
          progress.fileProgress(entry.fileUUID, bytes.byteLength);
          if (saveDownloads) {
            const file = ctx.platform.stageDownloadedBytes(bytes, downloadedInfo(entry));
            file.catch(() => {}); // seen when the group is handed over, or by the wait below
            staging.push({ entry, file });
            // A failed write stops the batch as soon as the window reaches it.
            if (staging.length > stagingConcurrency) await staging[staging.length - 1 - stagingConcurrency]!.file;
            return;
          }
          // The app changed or deleted the file since the plan: not handed over (see deliverLargeFile). Read for
          // each file: the app may queue a change while the one before it is being saved.
          if ((await pendingChanges(ctx.store)).has(entry.fileUUID)) {
            skipped.push(entry);
            return;
          }
          await ctx.callbacks.saveDownload(await ctx.platform.stageDownloadedBytes(bytes, downloadedInfo(entry)));
          acknowledged.add(entry);
        },
      });
    } finally {
      const staged = await settleStaging(staging);
      received = staged.received;
      // Also what arrived before the batch broke off, unless the pass is being stopped (suspend, close).
      if (saveDownloads && received.length > 0 && !ctx.signal.aborted) {
        await handOverGroup(ctx, saveDownloads, received, acknowledged, skipped);
      }
      if (staged.failed) throw staged.failed.error;
    }
  } finally {
    // Also when the batch broke off (a cut, a suspend): what the app was handed is acknowledged, once.
    await acknowledge(ctx, [...acknowledged], skipped, progress);
    // What arrived and was not handed over (the pass stopped, or the app's saveDownloads failed) is fetched again.
    const settled = new Set([...acknowledged, ...skipped]);
    for (const { entry } of received) {
      if (!settled.has(entry)) await ctx.platform.discardDownload(entry.fileUUID, entry.version);
    }
  }
  return acknowledged.size;
}

/** Files of a batch staged at once while it streams: the writes overlap each other and the download. */
const stagingConcurrency = 8;

/** Acknowledged files are discarded even when the pass is being stopped: they are the app's now. */
const neverAborted = new AbortController().signal;

/** The staged files of a batch, in arrival order, up to the first whose staging failed. */
async function settleStaging<D>(
  staging: { entry: IndexEntry; file: Promise<D> }[],
): Promise<{ received: { entry: IndexEntry; file: D }[]; failed?: { error: unknown } }> {
  const results = await Promise.allSettled(staging.map(({ file }) => file));
  const received: { entry: IndexEntry; file: D }[] = [];
  for (const [index, result] of results.entries()) {
    if (result.status === "rejected") return { received, failed: { error: result.reason } };
    received.push({ entry: staging[index]!.entry, file: result.value });
  }
  return { received };
}

/**
 * The files of a group that arrived, handed to the app's saveDownloads in one
 * call, less those the app changed or deleted since the plan (read once, right
 * before the call; see deliverLargeFile); marked acknowledged once it resolved.
 */
async function handOverGroup<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  saveDownloads: (files: D[]) => Promise<void>,
  received: { entry: IndexEntry; file: D }[],
  acknowledged: Set<IndexEntry>,
  skipped: IndexEntry[],
): Promise<void> {
  const pending = await pendingChanges(ctx.store);
  const handed = received.filter(({ entry }) => !pending.has(entry.fileUUID));
  skipped.push(...received.filter(({ entry }) => pending.has(entry.fileUUID)).map(({ entry }) => entry));
  if (handed.length > 0) await saveDownloads(handed.map(({ file }) => file));
  for (const { entry } of handed) acknowledged.add(entry);
}

/** Files handed to the app (and files skipped) taken as held in one commit, then reported. */
async function acknowledge<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  acknowledged: IndexEntry[],
  skipped: IndexEntry[],
  progress: BatchProgress,
): Promise<void> {
  if (acknowledged.length + skipped.length === 0) return;
  await ctx.store.commit([
    ...[...acknowledged, ...skipped].map((entry): StoreChange => ({
      op: "delete",
      collection: "beingDownloaded",
      key: entry.fileUUID,
    })),
    ...acknowledged.map((entry) => putFile(entry)),
  ]);
  await ctx.persistencePoint("download.fileAcknowledged");
  // A few at once: a staged copy's removal is a round trip to the file system's thread pool, not CPU.
  await forEachConcurrently([...acknowledged, ...skipped], stagingConcurrency, neverAborted, async (entry) => {
    await ctx.platform.discardDownload(entry.fileUUID, entry.version);
    progress.fileDone(entry.fileUUID);
  });
  for (const entry of acknowledged) {
    ctx.emit("singleDownloadComplete", { fileUUID: entry.fileUUID, version: entry.version });
  }
}
