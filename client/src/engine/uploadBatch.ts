// Step 4, first half: the oldest committed batch moves to beingUploaded with
// its target versions, the grant's fencing token and the keys of its
// requests (one commit); small files go up many to a request by the batch
// path and the others over tus (one commit per request), then deleteFiles;
// commitBatch.ts takes it from the commit on.
import { isServerError } from "../errors.ts";
import { deleteFilesMutation } from "../graphql/operations.ts";
import type { CommittedBatch, PreparedChange, PreparedUpload } from "../queues/records.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import { sequenceKey, type StoreChange } from "../store/ClientStore.ts";
import { sha256Hex } from "../platform/bytes.ts";
import { LocalSourceError } from "../transfers/LocalSourceError.ts";
import type { UploadContent } from "../transfers/uploadSources.ts";
import { forgetUploadChange, forgetUploadsChanges } from "../transfers/tusResumeStore.ts";
import type { BatchUploadFile } from "@smsync/protocol";
import { uploadBatch, type BatchUploadEntry } from "../transfers/batchUploader.ts";
import { deltaOf, fileBlocksOf } from "../transfers/fileDeltas.ts";
import { uploadFile } from "../transfers/uploader.ts";
import { BatchProgress } from "./batchProgress.ts";
import { finishSentCommit, type FinishedBatch } from "./commitBatch.ts";
import type { ByteEndpoints, EngineContext } from "./EngineContext.ts";
import { StagedUploadGoneError } from "./engineErrors.ts";
import { forEachConcurrently } from "./forEachConcurrently.ts";
import { groupsWithin } from "./groupsWithin.ts";
import type { IndexEntry } from "./planDownloads.ts";
import { metaKeys, type BeingUploaded, type OutboundState } from "./state.ts";

const randomUUID = () => globalThis.crypto.randomUUID();

/** Uploads the batch in beingUploaded, or the oldest committed one: how it finished, or null if there is none. */
export async function uploadNextBatch<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  fencingToken: number,
  index: IndexEntry[],
): Promise<FinishedBatch | null> {
  let state = await ctx.store.get("meta", metaKeys.outbound);
  // Begun under this grant before (a relaunch, a pass that failed): the server may hold some of its files.
  const resumed = state?.fencingToken === fencingToken;
  if (state && state.fencingToken !== fencingToken) {
    // A later grant: the server dropped what was staged under the old one. Redo the batch under this one.
    state = await retarget(ctx, state, fencingToken, index);
  }
  if (!state) {
    const [oldest] = await ctx.store.list("committedUploads");
    if (!oldest) return null;
    state = await beginBatch(ctx, oldest.value, fencingToken, index);
  }
  return runBatch(ctx, state, resumed);
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

async function runBatch<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  resumed: boolean,
): Promise<FinishedBatch> {
  const { store } = ctx;
  const entries = (await store.list("beingUploaded")).map((entry) => entry.value);
  if (!state.commitSent) {
    // The deletions are recorded while the files go up: neither waits for the other, the commit for both.
    const outcomes = await Promise.allSettled([
      uploadFiles(ctx, state, entries, resumed),
      recordDeletions(ctx, state, entries),
    ]);
    for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
    state.commitSent = true;
    await store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }]);
    await ctx.persistencePoint("upload.commitSent");
  }
  return finishSentCommit(ctx, state);
}

/** The batch's deletions, recorded by the server under the grant (once: the key makes a repeat harmless). */
async function recordDeletions<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  entries: BeingUploaded[],
): Promise<void> {
  const { store, outbox } = ctx;
  const deletions = entries.filter((item) => item.change.kind === "delete");
  if (deletions.length === 0 || state.deletionsRecorded) return;
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

/**
 * The batch's uploads not yet done: small files many to a request by the
 * batch path (uploadSmallFiles), the others over tus (transferConcurrency at
 * once), each marked done in the commit after its upload. A linked upload
 * (PreparedUpload.linked) whose app's file was written since it was queued
 * goes up with the bytes it has then: a small one's are read before its
 * request is sent, a large one's are hashed again when the server or the
 * reader finds them changed.
 */
async function uploadFiles<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  entries: BeingUploaded[],
  resumed: boolean,
): Promise<void> {
  const endpoints = await ctx.byteEndpoints();
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
  const onItsOwn = (item: BeingUploaded) => (item.change as PreparedUpload).size > endpoints.batchMaxFileBytes;
  await uploadSmallFiles(
    ctx,
    state,
    toUpload.filter((item) => !onItsOwn(item)),
    endpoints,
    progress,
    resumed,
  );
  // Filtered after the small files went: a linked one that grew past the limit since it was queued goes on its own.
  const large = toUpload.filter((item) => !item.done && onItsOwn(item));
  await forEachConcurrently(large, ctx.transferConcurrency, ctx.signal, async (item, signal) => {
    for (let hashedAgain = 0; ; hashedAgain++) {
      try {
        await uploadOnItsOwn(ctx, state, item, endpoints, resumed, signal, progress);
        break;
      } catch (error) {
        if (!(item.change as PreparedUpload).linked || !isChangedSource(error) || hashedAgain >= maxHashesAgain)
          throw error;
        await hashAgain(ctx, state, item);
      }
    }
    await markDone(ctx, state, [item], progress);
  });
}

/** Times a linked upload's bytes are hashed again in one pass, when they keep changing under it. */
const maxHashesAgain = 3;

/** The bytes read were not those queued: they changed under a link (or the server got others than declared). */
function isChangedSource(error: unknown): boolean {
  return error instanceof LocalSourceError || isServerError(error, "CHECKSUM_MISMATCH");
}

/**
 * A linked upload whose app's file was written since it was queued: the
 * change now carries the bytes the file has (their sha256 and size), in one
 * commit that forgets the tus upload of the old ones.
 */
async function hashAgain<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  item: BeingUploaded,
): Promise<void> {
  const upload = item.change as PreparedUpload;
  const now = await ctx.platform.hashUploadSource(upload.source, upload.fileUUID);
  item.change = { ...upload, ...now };
  await ctx.store.commit([
    { op: "put", collection: "beingUploaded", key: upload.fileUUID, value: item },
    forgetUploadChange({
      fileUUID: upload.fileUUID,
      version: item.version,
      sha256: upload.sha256,
      fencingToken: state.fencingToken,
    }),
  ]);
}

/** A file over tus, or as a delta on the batch path. */
async function uploadOnItsOwn<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  item: BeingUploaded,
  endpoints: ByteEndpoints,
  resumed: boolean,
  signal: AbortSignal,
  progress: BatchProgress,
): Promise<void> {
  const upload = item.change as PreparedUpload;
  if (await uploadAsDelta(ctx, state, item, endpoints, resumed, signal)) return;
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
    endpoint: endpoints.tusEndpoint,
    token: ctx.token,
    store: ctx.store,
    file: await ctx.platform.uploadContent(upload.source),
    metadata: { ...identity, ...uploadAttributes(upload, item) },
    keepResumeState: true,
    ...(ctx.transferRetryDelays ? { retryDelays: ctx.transferRetryDelays } : {}),
  }).catch((error: unknown) => {
    throw isServerError(error, "NOT_FOUND") ? new StagedUploadGoneError(error) : error;
  });
}

/**
 * A change of a large file whose previous version is live on the server,
 * sent as a delta on the batch path when few of its blocks changed (at most
 * half the file, and within batchMaxFileBytes). False when it was not: the
 * version before is not live (a first version, an undelete, another device's
 * change), or too much changed; then the whole file goes over tus.
 */
async function uploadAsDelta<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  item: BeingUploaded,
  endpoints: ByteEndpoints,
  resumed: boolean,
  signal: AbortSignal,
): Promise<boolean> {
  const upload = item.change as PreparedUpload;
  if (item.version === 0 || item.undelete) return false;
  const base = await fileBlocksOf(
    endpoints.uploadBatchUrl,
    ctx.token,
    { fileUUID: upload.fileUUID, version: item.version - 1 },
    signal,
  );
  if (!base) return false;
  const content = await ctx.platform.uploadContent(upload.source);
  const maxLiteralBytes = Math.min(endpoints.batchMaxFileBytes, Math.floor(upload.size / 2));
  const toSend = await deltaOf(content, upload.size, base, maxLiteralBytes);
  if (!toSend) return false;
  const entry = { file: { ...batchFileOf(item), delta: toSend.delta }, content: toSend.literals };
  await sendBatch(ctx, state, endpoints, { resumed, signal }, [entry]);
  return true;
}

/** A file of a batch upload's head, as the item uploads it. */
function batchFileOf(item: BeingUploaded): BatchUploadFile {
  const upload = item.change as PreparedUpload;
  return {
    fileUUID: upload.fileUUID,
    version: item.version,
    sha256: upload.sha256,
    size: upload.size,
    ...uploadAttributes(upload, item),
  };
}

/** One batch request (asking first what the server holds when the batch may have been sent before). */
function sendBatch<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  endpoints: ByteEndpoints,
  { resumed, signal }: { resumed: boolean; signal: AbortSignal },
  entries: BatchUploadEntry[],
): Promise<void> {
  return uploadBatch({
    url: endpoints.uploadBatchUrl,
    token: ctx.token,
    fencingToken: state.fencingToken,
    mayBeHeld: resumed,
    signal,
    entries,
    ...(ctx.transferRetryDelays ? { retryDelays: ctx.transferRetryDelays } : {}),
  });
}

/** What an upload says of its file besides its identity. */
function uploadAttributes(upload: PreparedUpload, item: BeingUploaded) {
  return {
    cloudFileName: upload.cloudFileName,
    mimeType: upload.mimeType,
    appMetaData: upload.appMetaData,
    ...(item.undelete ? { undelete: true } : {}),
  };
}

/** Bytes of small files per request: enough to amortize a request, little enough to resend after a cut. */
const smallFileRequestBytes = 8 * 1024 * 1024;
/** Batch requests in flight at once: one is read from disk and hashed while another is written. */
const smallFileRequestConcurrency = 2;

/** The small files in requests of many (serverInfo's batch limits), each request's files marked done in one commit. */
async function uploadSmallFiles<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  items: BeingUploaded[],
  endpoints: ByteEndpoints,
  progress: BatchProgress,
  resumed: boolean,
): Promise<void> {
  const requests = groupsWithin(
    items,
    { count: endpoints.batchMaxFiles, bytes: Math.min(endpoints.batchMaxBytes, smallFileRequestBytes) },
    (item) => (item.change as PreparedUpload).size,
  );
  await forEachConcurrently(requests, smallFileRequestConcurrency, ctx.signal, async (request, signal) => {
    const contents = await Promise.all(
      request.map((item) => ctx.platform.uploadContent((item.change as PreparedUpload).source)),
    );
    const grown = await takeLinkedBytes(ctx, request, contents, endpoints.batchMaxFileBytes);
    const sent = request.flatMap((item, index) =>
      grown.has(item) ? [] : [{ item, entry: { file: batchFileOf(item), content: contents[index]! } }],
    );
    if (sent.length === 0) return;
    await sendBatch(
      ctx,
      state,
      endpoints,
      { resumed, signal },
      sent.map(({ entry }) => entry),
    );
    await markDone(
      ctx,
      state,
      sent.map(({ item }) => item),
      progress,
    );
  });
}

/**
 * The bytes of the request's linked uploads, read now (into `contents`):
 * those are what the request sends, so a change the app's file had since it
 * was queued (written in place) is the change's now, its sha256 and size
 * taken from those bytes and stored in one commit before the request goes.
 * Returns the uploads that grew past `maxBytes`, hashed again and left to
 * go up on their own.
 */
async function takeLinkedBytes<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  request: BeingUploaded[],
  contents: UploadContent[],
  maxBytes: number,
): Promise<Set<BeingUploaded>> {
  const changed: StoreChange[] = [];
  const grown = new Set<BeingUploaded>();
  if (!request.some((item) => (item.change as PreparedUpload).linked)) return grown;
  // Node-only, loaded on demand like the batch uploader's reads: a browser queues no linked upload.
  const { readWholeFile } = await import("../transfers/nodeFiles.ts");
  for (const [index, item] of request.entries()) {
    const upload = item.change as PreparedUpload;
    const content = contents[index];
    if (!upload.linked || typeof content !== "string") continue;
    const bytes = readWholeFile(content, maxBytes);
    if (bytes) contents[index] = bytes;
    else grown.add(item);
    const now = bytes
      ? { sha256: await sha256Hex(bytes), size: bytes.byteLength }
      : await ctx.platform.hashUploadSource(upload.source, upload.fileUUID);
    if (now.sha256 === upload.sha256 && now.size === upload.size) continue;
    item.change = { ...upload, ...now };
    changed.push({ op: "put", collection: "beingUploaded", key: upload.fileUUID, value: item });
  }
  if (changed.length > 0) await ctx.store.commit(changed);
  return grown;
}

/** Uploads the server holds now: done in one commit (their tus resume state forgotten), and reported. */
async function markDone<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  items: BeingUploaded[],
  progress: BatchProgress,
): Promise<void> {
  const changes: StoreChange[] = [];
  for (const item of items) {
    const upload = item.change as PreparedUpload;
    item.done = true;
    changes.push(
      { op: "put", collection: "beingUploaded", key: upload.fileUUID, value: item },
      forgetUploadChange({
        fileUUID: upload.fileUUID,
        version: item.version,
        sha256: upload.sha256,
        fencingToken: state.fencingToken,
      }),
    );
  }
  await ctx.store.commit(changes);
  await ctx.persistencePoint("upload.fileDone");
  for (const item of items) {
    const upload = item.change as PreparedUpload;
    ctx.emit("transferProgress", {
      direction: "upload",
      fileUUID: upload.fileUUID,
      version: item.version,
      bytesDone: upload.size,
      bytesTotal: upload.size,
    });
    progress.fileDone(upload.fileUUID);
  }
}
