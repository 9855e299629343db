// Step 3 of a pass: the server's deletions, then downloads. The plan is
// stored in beingDownloaded and engine.inbound before startInboundTransfer is
// sent; each file is handed to the app and, once acknowledged, taken as held
// in one commit (delivery at least once, acknowledged once). Files come down
// from the moment the transfer has staged them (earlyDownloads.ts): small
// ones in groups (smallDownloads.ts), large ones a few at a time
// (largeDownloads.ts).
import { startInboundTransferMutation } from "../graphql/operations.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import { BatchProgress } from "./batchProgress.ts";
import type { ByteEndpoints, EngineContext } from "./EngineContext.ts";
import { stagedCopiesGone, TransferFailedError } from "./engineErrors.ts";
import type { OperationStatus } from "./followOperation.ts";
import { EarlyDownloads } from "./earlyDownloads.ts";
import { LargeDeliveries } from "./largeDownloads.ts";
import { putFile } from "./localFiles.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { deliverSmallFiles, requestGroups } from "./smallDownloads.ts";
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
  const large = new LargeDeliveries(ctx, endpoints, progress);
  const early = new EarlyDownloads(
    ctx,
    new Map(toDeliver.map((entry) => [`${entry.fileUUID}/${entry.version}`, entry])),
    endpoints,
    progress,
    large,
  );
  // Every path out of here waits for the downloads in flight: one left running would hand its file over after the
  // next pass had planned it again.
  const settleQuietly = async () => {
    await early.settle().catch(() => undefined);
    await large.settle().catch(() => undefined);
  };
  let operation: OperationStatus;
  try {
    operation = await ctx.follow(state.operationId, "download", (event) => {
      if (event.type === "FILES_TRANSFERRED" && event.files) early.staged(event.files);
    });
  } catch (error) {
    await settleQuietly();
    throw error;
  }
  if (operation.state !== "SUCCEEDED") {
    await settleQuietly();
    await store.commit(forgetInbound());
    throw new TransferFailedError((await ctx.operation(operation.id)) ?? { ...operation, files: [] });
  }
  try {
    await early.settle();
  } catch (error) {
    await settleQuietly();
    // A file an event named as staged may be gone when fetched (expired since: a relaunch follows again the
    // events of a transfer that ended long ago), as in deliverStaged.
    if (!stagedCopiesGone(error)) throw error;
    await store.commit(forgetInbound());
    return;
  }
  const count = await deliverStaged(ctx, endpoints, progress, large);
  if (count === null) return;
  await store.commit([{ op: "delete", collection: "meta", key: metaKeys.inbound }]);
  await ctx.persistencePoint("download.finished");
  ctx.emit("downloadsFinished", { count: early.count + large.count + count });
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
 * commit; the large ones through `large` (largeDownloads.ts).
 */
async function deliverStaged<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  endpoints: ByteEndpoints,
  progress: BatchProgress,
  large: LargeDeliveries<D>,
): Promise<number | null> {
  const toDeliver = (await ctx.store.list("beingDownloaded")).map(({ value }) => value.entry);
  let count = 0;
  try {
    large.add(toDeliver.filter((entry) => entry.size > endpoints.batchMaxFileBytes));
    const small = toDeliver.filter((entry) => entry.size <= endpoints.batchMaxFileBytes);
    try {
      for (const group of requestGroups(small, endpoints))
        count += await deliverSmallFiles(ctx, group, endpoints, progress);
    } finally {
      await large.settle().catch(() => undefined); // its failure is thrown below, after the small files'
    }
    await large.settle();
  } catch (error) {
    if (!stagedCopiesGone(error)) throw error;
    await ctx.store.commit(forgetInbound());
    return null;
  }
  return count;
}
