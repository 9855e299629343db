// Step 3 of a pass: the server's deletions, then downloads. The plan is
// stored in beingDownloaded and engine.inbound before startInboundTransfer is
// sent; each file is handed to the app and, once acknowledged, taken as held
// in one commit (delivery at least once, acknowledged once). Small files come
// in groups (smallDownloads.ts), from the moment the transfer has staged
// them; the others once it has ended.
import { ServerError, SmsyncClientError } from "../errors.ts";
import { startInboundTransferMutation } from "../graphql/operations.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import { BatchProgress } from "./batchProgress.ts";
import type { HeldBase } from "../transfers/deltaDownloads.ts";
import { fileBlocksOf } from "../transfers/fileDeltas.ts";
import type { ByteEndpoints, EngineContext } from "./EngineContext.ts";
import { TransferFailedError } from "./engineErrors.ts";
import type { Operation } from "./followOperation.ts";
import { forEachConcurrently } from "./forEachConcurrently.ts";
import { pendingChanges, putFile } from "./localFiles.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { deliverSmallFiles, downloadedInfo, EarlyDownloads, requestGroups } from "./smallDownloads.ts";
import { metaKeys, type BeingDownloaded, type InboundState } from "./state.ts";

/** The app removes the files the server deleted; then the device holds them as deleted. */
export async function applyServerDeletions<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  deletions: IndexEntry[],
): Promise<void> {
  await ctx.callbacks.applyDeletions(deletions);
  await ctx.store.commit(deletions.map((entry) => putFile(entry)));
  await ctx.persistencePoint("deletions.applied");
  ctx.emit("deletionsApplied", { fileUUIDs: deletions.map((entry) => entry.fileUUID) });
}

/** Stores the plan of an inbound transfer (its key chosen now); resumeInbound runs it. */
export async function startDownloads<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  fencingToken: number,
  downloads: IndexEntry[],
): Promise<void> {
  const state: InboundState = {
    idempotencyKey: globalThis.crypto.randomUUID(),
    fencingToken,
    files: downloads.map((entry) => ({ fileUUID: entry.fileUUID, version: entry.version })),
    operationId: null,
  };
  await ctx.store.commit([
    ...downloads.map((entry): StoreChange => ({
      op: "put",
      collection: "beingDownloaded",
      key: entry.fileUUID,
      value: { entry } satisfies BeingDownloaded,
    })),
    { op: "put", collection: "meta", key: metaKeys.inbound, value: state },
  ]);
  await ctx.persistencePoint("download.planned");
}

/** Runs the inbound transfer in meta (if any) to its end: every file delivered and acknowledged. */
export async function resumeInbound<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<void> {
  const { store, outbox } = ctx;
  const state = await store.get("meta", metaKeys.inbound);
  if (!state) return;
  if (state.operationId === null) {
    ctx.lease.stop(); // the inbound transfer holds the lock from now on
    const result = await ctx.send(startInboundTransferMutation, {
      idempotencyKey: state.idempotencyKey,
      fencingToken: state.fencingToken,
      files: state.files,
    });
    if (result.error) {
      // Nothing was staged: forget the plan (the files are planned again from the index).
      await store.commit([...forgetInbound(), outbox.resultRemoval(state.idempotencyKey)]);
      throw result.error;
    }
    state.operationId = result.data!.startInboundTransfer.id;
    await store.commit([
      { op: "put", collection: "meta", key: metaKeys.inbound, value: state },
      outbox.resultRemoval(state.idempotencyKey),
    ]);
    await ctx.persistencePoint("download.started");
  }
  const toDeliver = (await store.list("beingDownloaded")).map(({ value }) => value.entry);
  const progress = new BatchProgress(
    { direction: "download", batch: null, operationId: state.operationId },
    toDeliver.map((entry) => ({ fileUUID: entry.fileUUID, size: entry.size, done: false })),
    (event) => ctx.emit("batchProgress", event),
  );
  const endpoints = await ctx.byteEndpoints();
  const early = new EarlyDownloads(
    ctx,
    new Map(
      toDeliver
        .filter((entry) => entry.size <= endpoints.batchMaxFileBytes)
        .map((entry) => [`${entry.fileUUID}/${entry.version}`, entry]),
    ),
    endpoints,
    progress,
  );
  let operation: Operation;
  try {
    operation = await ctx.follow(state.operationId, "download", (event) => {
      if (event.type === "FILES_TRANSFERRED" && event.files) early.staged(event.files);
    });
  } finally {
    await early.settle().catch(() => undefined); // thrown below, once the transfer's own outcome is known
  }
  if (operation.state !== "SUCCEEDED") {
    await store.commit(forgetInbound());
    throw new TransferFailedError(operation);
  }
  await early.settle();
  const count = await deliverStaged(ctx, operation, endpoints, progress);
  if (count === null) return;
  await store.commit([{ op: "delete", collection: "meta", key: metaKeys.inbound }]);
  await ctx.persistencePoint("download.finished");
  ctx.emit("downloadsFinished", { count: early.count + count });
}

/** Forgets the inbound transfer: what was not acknowledged is planned again from the index. */
function forgetInbound(): StoreChange[] {
  return [
    { op: "clear", collection: "beingDownloaded" },
    { op: "delete", collection: "meta", key: metaKeys.inbound },
  ];
}

/**
 * Downloads each file left in beingDownloaded and hands it to the app: the
 * files acknowledged, or null if the staged copies expired. Small files come
 * many to a response (the batch path), each group acknowledged in one
 * commit; the others one by one.
 */
async function deliverStaged<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  operation: Operation,
  endpoints: ByteEndpoints,
  progress: BatchProgress,
): Promise<number | null> {
  const toDeliver = (await ctx.store.list("beingDownloaded")).map(({ value }) => value.entry);
  const small = toDeliver.filter((entry) => entry.size <= endpoints.batchMaxFileBytes);
  const large = toDeliver.filter((entry) => entry.size > endpoints.batchMaxFileBytes);
  let count = 0;
  try {
    for (const group of requestGroups(small, endpoints))
      count += await deliverSmallFiles(ctx, group, endpoints, progress);
    // By (fileUUID, version): searching the operation's files for each large file would cost files x large files.
    const staged = new Map(operation.files.map((file) => [`${file.fileUUID}/${file.version}`, file]));
    // Fetched a few at a time (building a file from the held version is hashing, which overlaps with the
    // network and the disk); handed to the app one at a time, as they arrive.
    let handOvers: Promise<unknown> = Promise.resolve();
    await forEachConcurrently(large, ctx.transferConcurrency, ctx.signal, async (entry, signal) => {
      const downloaded = await fetchLargeFile(ctx, operation.id, staged, entry, endpoints, progress, signal);
      const turn = handOvers.then(() => {
        signal.throwIfAborted(); // a sibling failed, or the pass is stopping: the app is handed nothing more
        return handOverLargeFile(ctx, entry, downloaded, progress);
      });
      handOvers = turn.catch(() => undefined); // its failure is this worker's, thrown below; the next turn goes on
      count += await turn;
    });
  } catch (error) {
    if (!(error instanceof ServerError && error.details.status === 404)) throw error;
    // The staged copies expired (SMSYNC_INBOUND_EXPIRY_SECONDS) or were given up: forget the rest of this transfer;
    // the next plan asks for what is still missing (what was acknowledged is not asked for again).
    await ctx.store.commit(forgetInbound());
    return null;
  }
  return count;
}

/** One large file by GET (or built from the version the device holds), staged for the app. */
async function fetchLargeFile<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  operationId: string,
  stagedFiles: Map<string, Operation["files"][number]>,
  entry: IndexEntry,
  endpoints: ByteEndpoints,
  progress: BatchProgress,
  signal: AbortSignal,
): Promise<D> {
  const { platform } = ctx;
  const staged = stagedFiles.get(`${entry.fileUUID}/${entry.version}`);
  if (!staged?.downloadUrl)
    throw new SmsyncClientError(
      "INTERNAL",
      `operation ${operationId} has no download of ${entry.fileUUID} version ${entry.version}`,
    );
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
        url: staged.downloadUrl,
        token: ctx.token,
        expectedSha256: entry.sha256,
        ...(ctx.transferRetryDelays ? { retryDelays: ctx.transferRetryDelays } : {}),
        ...(base ? { base } : {}),
      },
      downloadedInfo(entry),
    );
  } catch (error) {
    if (error instanceof ServerError && error.details.status === 404)
      await platform.discardDownload(entry.fileUUID, entry.version);
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
