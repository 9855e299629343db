// Step 4, first half: the oldest committed batch moves to beingUploaded with
// its target versions, the grant's fencing token and the keys of its
// requests (one commit); each file goes up over tus (one commit each), then
// deleteFiles; commitBatch.ts takes it from the commit on.
import { isServerError } from "../errors.ts";
import { deleteFilesMutation } from "../graphql/operations.ts";
import type { CommittedBatch, PreparedChange, PreparedUpload } from "../queues/records.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import { sequenceKey, type StoreChange } from "../store/ClientStore.ts";
import { forgetUploadChange, forgetUploadsChanges } from "../transfers/tusResumeStore.ts";
import { uploadFile } from "../transfers/uploader.ts";
import { BatchProgress } from "./batchProgress.ts";
import { finishSentCommit } from "./commitBatch.ts";
import type { EngineContext } from "./EngineContext.ts";
import { StagedUploadGoneError } from "./engineErrors.ts";
import { forEachConcurrently } from "./forEachConcurrently.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { metaKeys, type BeingUploaded, type OutboundState } from "./state.ts";

const randomUUID = () => globalThis.crypto.randomUUID();

/** Uploads the batch in beingUploaded, or the oldest committed one; false if there is none. */
export async function uploadNextBatch<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  fencingToken: number,
  index: IndexEntry[],
): Promise<boolean> {
  let state = await ctx.store.get("meta", metaKeys.outbound);
  if (state && state.fencingToken !== fencingToken) {
    // A later grant: the server dropped what was staged under the old one. Redo the batch under this one.
    state = await retarget(ctx, state, fencingToken, index);
  }
  if (!state) {
    const [oldest] = await ctx.store.list("committedUploads");
    if (!oldest) return false;
    state = await beginBatch(ctx, oldest.value, fencingToken, index);
  }
  await runBatch(ctx, state);
  return true;
}

/** What each change targets on the server now: the version it makes or deletes, and whether it undeletes. */
export function uploadTargets(
  changes: PreparedChange[],
  index: IndexEntry[],
): Map<string, { version: number; undelete: boolean }> {
  const byUUID = new Map(index.map((entry) => [entry.fileUUID, entry]));
  return new Map(
    changes.map((change) => {
      const entry = byUUID.get(change.fileUUID);
      if (change.kind === "delete") return [change.fileUUID, { version: entry?.version ?? 0, undelete: false }];
      return [change.fileUUID, { version: entry ? entry.version + 1 : 0, undelete: entry?.deleted ?? false }];
    }),
  );
}

/** beingUploaded's records of these changes, at their targets in the index, none done. */
function beingUploadedChanges(entries: { key: string; change: PreparedChange }[], index: IndexEntry[]): StoreChange[] {
  const targets = uploadTargets(
    entries.map((entry) => entry.change),
    index,
  );
  return entries.map(({ key, change }): StoreChange => ({
    op: "put",
    collection: "beingUploaded",
    key,
    value: { change, ...targets.get(change.fileUUID)!, done: false } satisfies BeingUploaded,
  }));
}

async function beginBatch<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  batch: CommittedBatch,
  fencingToken: number,
  index: IndexEntry[],
): Promise<OutboundState> {
  const state: OutboundState = {
    batch: batch.batch,
    committedAt: batch.committedAt,
    fencingToken,
    deleteKey: randomUUID(),
    deletionsRecorded: false,
    commitKey: randomUUID(),
    commitSent: false,
    operationId: null,
    resumes: 0,
  };
  await ctx.store.commit([
    { op: "delete", collection: "committedUploads", key: sequenceKey(batch.batch) },
    { op: "clear", collection: "beingUploaded" },
    ...beingUploadedChanges(
      batch.changes.map((change) => ({ key: change.fileUUID, change })),
      index,
    ),
    { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
  ]);
  await ctx.persistencePoint("upload.batchBegun");
  return state;
}

/** The batch again under a new grant: new targets and keys, the old grant's tus uploads forgotten. */
async function retarget<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  old: OutboundState,
  fencingToken: number,
  index: IndexEntry[],
): Promise<OutboundState> {
  const { store } = ctx;
  const entries = await store.list("beingUploaded");
  const state: OutboundState = {
    ...old,
    fencingToken,
    deleteKey: randomUUID(),
    deletionsRecorded: false,
    commitKey: randomUUID(),
    commitSent: false,
    operationId: null,
    resumes: 0,
  };
  await store.commit([
    ...(await forgetUploadsChanges(store, (entry) => entry.fencingToken === old.fencingToken)),
    ...beingUploadedChanges(
      entries.map(({ key, value }) => ({ key, change: value.change })),
      index,
    ),
    { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
  ]);
  return state;
}

async function runBatch<D extends DownloadedFileInfo>(ctx: EngineContext<D>, state: OutboundState): Promise<void> {
  const { store, outbox } = ctx;
  const entries = (await store.list("beingUploaded")).map((entry) => entry.value);
  if (!state.commitSent) {
    await uploadFiles(ctx, state, entries);
    const deletions = entries.filter((item) => item.change.kind === "delete");
    if (deletions.length && !state.deletionsRecorded) {
      const result = await ctx.send(deleteFilesMutation, {
        idempotencyKey: state.deleteKey,
        fencingToken: state.fencingToken,
        files: deletions.map((item) => ({ fileUUID: item.change.fileUUID, version: item.version })),
      });
      if (result.error) {
        await store.commit([outbox.resultRemoval(state.deleteKey)]); // the server stored nothing: the same key may be sent again
        throw result.error;
      }
      state.deletionsRecorded = true;
      await store.commit([
        { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
        outbox.resultRemoval(state.deleteKey),
      ]);
      await ctx.persistencePoint("upload.deletionsRecorded");
    }
    state.commitSent = true;
    await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }]);
    await ctx.persistencePoint("upload.commitSent");
  }
  await finishSentCommit(ctx, state);
}

/** The batch's uploads not yet done, over tus (transferConcurrency at once), each marked done in its own commit. */
async function uploadFiles<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  entries: BeingUploaded[],
): Promise<void> {
  const { store } = ctx;
  const endpoint = await ctx.tusEndpointUrl();
  const progress = new BatchProgress(
    { direction: "upload", batch: state.batch, operationId: null },
    entries.flatMap((item) =>
      item.change.kind === "upload"
        ? [{ fileUUID: item.change.fileUUID, size: item.change.size, done: item.done }]
        : [],
    ),
    (event) => ctx.emit("batchProgress", event),
  );
  const toUpload = entries.filter((item) => !item.done && item.change.kind === "upload");
  await forEachConcurrently(toUpload, ctx.transferConcurrency, ctx.signal, async (item, signal) => {
    const upload = item.change as PreparedUpload;
    const identity = {
      fileUUID: upload.fileUUID,
      version: item.version,
      sha256: upload.sha256,
      fencingToken: state.fencingToken,
    };
    await uploadFile({
      signal,
      onProgress: (bytesDone, bytesTotal) => {
        ctx.emit("transferProgress", {
          direction: "upload",
          fileUUID: upload.fileUUID,
          version: item.version,
          bytesDone,
          bytesTotal,
        });
        progress.fileProgress(upload.fileUUID, bytesDone);
      },
      endpoint,
      token: ctx.token,
      store,
      file: await ctx.platform.uploadContent(upload.source),
      metadata: {
        ...identity,
        cloudFileName: upload.cloudFileName,
        mimeType: upload.mimeType,
        appMetaData: upload.appMetaData,
        ...(item.undelete ? { undelete: true } : {}),
      },
      keepResumeState: true,
      ...(ctx.transferRetryDelays ? { retryDelays: ctx.transferRetryDelays } : {}),
    }).catch((error: unknown) => {
      throw isServerError(error, "NOT_FOUND") ? new StagedUploadGoneError(error) : error;
    });
    item.done = true;
    await store.commit([
      { op: "put", collection: "beingUploaded", key: upload.fileUUID, value: item },
      forgetUploadChange(identity),
    ]);
    await ctx.persistencePoint("upload.fileDone");
    progress.fileDone(upload.fileUUID);
  });
}
