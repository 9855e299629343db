// Step 3 of a pass: the server's deletions, then downloads. The plan is
// stored in beingDownloaded and engine.inbound before startInboundTransfer is
// sent; each file is handed to the app and, once acknowledged, taken as held
// in one commit (delivery at least once, acknowledged once).
import { ServerError, SmsyncClientError } from "../errors.ts";
import { startInboundTransferMutation } from "../graphql/operations.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import { BatchProgress } from "./batchProgress.ts";
import type { EngineContext } from "./EngineContext.ts";
import { TransferFailedError } from "./engineErrors.ts";
import type { Operation } from "./followOperation.ts";
import { pendingChanges, putFile } from "./localFiles.ts";
import type { IndexEntry } from "./planDownloads.ts";
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
  const operation = await ctx.follow(state.operationId, "download");
  if (operation.state !== "SUCCEEDED") {
    await store.commit(forgetInbound());
    throw new TransferFailedError(operation);
  }
  const count = await deliverStaged(ctx, operation);
  if (count === null) return;
  await store.commit([{ op: "delete", collection: "meta", key: metaKeys.inbound }]);
  await ctx.persistencePoint("download.finished");
  ctx.emit("downloadsFinished", { count });
}

/** Forgets the inbound transfer: what was not acknowledged is planned again from the index. */
function forgetInbound(): StoreChange[] {
  return [
    { op: "clear", collection: "beingDownloaded" },
    { op: "delete", collection: "meta", key: metaKeys.inbound },
  ];
}

/** Downloads each file left in beingDownloaded and hands it to the app: the files acknowledged, or null if the staged copies expired. */
async function deliverStaged<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  operation: Operation,
): Promise<number | null> {
  const { store, platform } = ctx;
  let count = 0;
  const toDeliver = await store.list("beingDownloaded");
  const progress = new BatchProgress(
    { direction: "download", batch: null, operationId: operation.id },
    toDeliver.map(({ value }) => ({ fileUUID: value.entry.fileUUID, size: value.entry.size, done: false })),
    (event) => ctx.emit("batchProgress", event),
  );
  for (const { value } of toDeliver) {
    const { entry } = value;
    const staged = operation.files.find((file) => file.fileUUID === entry.fileUUID && file.version === entry.version);
    if (!staged?.downloadUrl)
      throw new SmsyncClientError(
        "INTERNAL",
        `operation ${operation.id} has no download of ${entry.fileUUID} version ${entry.version}`,
      );
    let downloaded: D;
    try {
      downloaded = await platform.stageDownload(
        {
          signal: ctx.signal,
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
        },
        {
          fileUUID: entry.fileUUID,
          version: entry.version,
          cloudFileName: entry.cloudFileName,
          mimeType: entry.mimeType,
          appMetaData: entry.appMetaData,
          sha256: entry.sha256,
        },
      );
    } catch (error) {
      if (!(error instanceof ServerError && error.details.status === 404)) throw error;
      // The staged copy expired (SMSYNC_INBOUND_EXPIRY_SECONDS) or was given up: forget the rest of this transfer;
      // the next plan asks for what is still missing (what was acknowledged is not asked for again).
      await platform.discardDownload(entry.fileUUID, entry.version);
      await store.commit(forgetInbound());
      return null;
    }
    if ((await pendingChanges(store)).has(entry.fileUUID)) {
      // The app changed or deleted the file after this download was planned (the plan saw no pending change): handing
      // it over would undo the app's change. Not delivered and not taken as known, so the next plan sees the server's
      // version against the app's change, a conflict for resolveConflict (sim seed 6002).
      await store.commit([{ op: "delete", collection: "beingDownloaded", key: entry.fileUUID }]);
      await platform.discardDownload(entry.fileUUID, entry.version);
      progress.fileDone(entry.fileUUID);
      continue;
    }
    await ctx.callbacks.saveDownload(downloaded);
    await store.commit([{ op: "delete", collection: "beingDownloaded", key: entry.fileUUID }, putFile(entry)]);
    await ctx.persistencePoint("download.fileAcknowledged");
    await platform.discardDownload(entry.fileUUID, entry.version);
    count += 1;
    progress.fileDone(entry.fileUUID);
    ctx.emit("singleDownloadComplete", { fileUUID: entry.fileUUID, version: entry.version });
  }
  return count;
}
