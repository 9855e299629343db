// Step 4, second half: the batch's commit (through the outbox, its key
// stored in engine.outbound first), followed to its end; one commit then
// updates "files" and empties beingUploaded. A transfer that FAILED is
// resumed under the same grant a few times before the engine gives up.
import { isServerError } from "../errors.ts";
import { commitMutation } from "../graphql/operations.ts";
import { heldFile, type LocalFile } from "../queues/records.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import type { StoreChange } from "../store/ClientStore.ts";
import type { EngineContext } from "./EngineContext.ts";
import { signInRequired, TransferFailedError } from "./engineErrors.ts";
import { localFiles } from "./localFiles.ts";
import { metaKeys, type OutboundState } from "./state.ts";
import { forEachConcurrently } from "./forEachConcurrently.ts";

/** Commits sent again to resume a FAILED outbound transfer before the engine gives up (nonRecoverableError until resetFromError). */
const maxTransferResumes = 2;

/** Copies removed at once after a batch: each is a round trip to the file system's thread pool, not CPU. */
const copyRemovalConcurrency = 8;

/**
 * How a finished batch left the lock: its outbound transfer held the lock to
 * its end and released it, or the server had nothing to commit and the
 * device holds the lock still.
 */
export type FinishedBatch = "lockReleased" | "lockHeld";

/** After a relaunch: a batch whose commit was sent is followed to its end before anything else (it needs no lock). */
export async function resumeSentCommit<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<void> {
  const state = await ctx.store.get("meta", metaKeys.outbound);
  if (state?.commitSent) await finishSentCommit(ctx, state);
}

export async function finishSentCommit<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
): Promise<FinishedBatch> {
  for (;;) {
    const finished = await commitAndFollow(ctx, state);
    if (finished !== "failed") return finished;
    // The transfer FAILED; the device keeps the lock under a fresh lease. A commit under the same grant (a new key) resumes it.
    const resumes = state.resumes + 1;
    const failed = (await ctx.operation(state.operationId!))!;
    if (resumes > maxTransferResumes || signInRequired(failed)) throw new TransferFailedError(failed);
    Object.assign(state, { resumes, commitKey: globalThis.crypto.randomUUID(), operationId: null });
    await ctx.store.commit([{ op: "put", collection: "meta", key: metaKeys.outbound, value: state }]);
  }
}

/** Sends the batch's commit (if not yet accepted) and follows the operation: how the batch finished, or "failed" when the transfer FAILED. */
async function commitAndFollow<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
): Promise<FinishedBatch | "failed"> {
  const { store, outbox } = ctx;
  if (state.operationId === null) {
    ctx.lease.stop(); // the outbound transfer holds the lock from now on
    const result = await ctx.send(commitMutation, {
      idempotencyKey: state.commitKey,
      fencingToken: state.fencingToken,
    });
    if (result.error && !isServerError(result.error, "NOTHING_TO_COMMIT")) {
      // The server stored nothing: back to before the commit (a lost lock redoes the batch under a new grant).
      state.commitSent = false;
      const changes: StoreChange[] = [
        { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
        outbox.resultRemoval(state.commitKey),
      ];
      const incomplete = isServerError(result.error, "UPLOAD_INCOMPLETE") ? result.error.details.fileUUIDs : undefined;
      if (Array.isArray(incomplete)) {
        // Uploads the server does not count as complete (e.g. cut by a suspension around their last bytes): upload them
        // again; the resumed upload asks the server's offset first, which also completes one that has every byte.
        for (const { key, value } of await store.list("beingUploaded")) {
          if (incomplete.includes(value.change.fileUUID))
            changes.push({ op: "put", collection: "beingUploaded", key, value: { ...value, done: false } });
        }
      }
      await store.commit(changes);
      throw result.error;
    }
    state.operationId = result.data?.commit.id ?? null;
    if (state.operationId === null) {
      // Nothing to commit: nothing was staged (the server has it all already).
      await finishBatch(ctx, state, [outbox.resultRemoval(state.commitKey)]);
      return "lockHeld";
    }
    await store.commit([
      { op: "put", collection: "meta", key: metaKeys.outbound, value: state },
      outbox.resultRemoval(state.commitKey),
    ]);
    await ctx.persistencePoint("upload.commitAccepted");
  }
  const operation = await ctx.follow(state.operationId, "upload");
  if (operation.state !== "SUCCEEDED") return "failed";
  await finishBatch(ctx, state, []);
  return "lockReleased";
}

/** The batch is in the index: the device holds its versions (and `extra`), beingUploaded is emptied, the app told. */
async function finishBatch<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  state: OutboundState,
  extra: StoreChange[],
): Promise<void> {
  const { store } = ctx;
  const entries = (await store.list("beingUploaded")).map((entry) => entry.value);
  const files = await localFiles(store);
  const changes: StoreChange[] = [...extra];
  for (const item of entries) {
    const change = item.change;
    if (change.kind === "upload") {
      const file: LocalFile = {
        fileUUID: change.fileUUID,
        version: item.version,
        sha256: change.sha256,
        cloudFileName: change.cloudFileName,
        mimeType: change.mimeType,
        appMetaData: change.appMetaData,
        deleted: false,
      };
      changes.push({ op: "put", collection: "files", key: change.fileUUID, value: file });
    } else {
      const known = files.get(change.fileUUID);
      if (known)
        changes.push({
          op: "put",
          collection: "files",
          key: change.fileUUID,
          value: { ...heldFile(known), deleted: true } satisfies LocalFile,
        });
    }
  }
  changes.push(
    { op: "clear", collection: "beingUploaded" },
    { op: "delete", collection: "meta", key: metaKeys.outbound },
  );
  await store.commit(changes);
  await ctx.persistencePoint("upload.batchFinished");
  // The client-owned copies made when the uploads were queued (if any), a few at once. The batch
  // is committed: a copy left here is the pass's sweep's (sweepUploadCopies),
  // which removes it at the end of the pass, and fails the pass if it cannot.
  await forEachConcurrently(entries, copyRemovalConcurrency, new AbortController().signal, async (item) => {
    if (item.change.kind === "upload")
      await ctx.platform.removeUploadCopy(item.change.source, item.change.immutable).catch(() => undefined);
  });
  for (const item of entries) {
    ctx.emit("singleUploadComplete", {
      fileUUID: item.change.fileUUID,
      version: item.version,
      kind: item.change.kind,
      batch: state.batch,
    });
  }
  ctx.emit("allUploadsComplete", { batch: state.batch, operationId: state.operationId });
}
