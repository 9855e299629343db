// One sync pass (docs/client-design.md, "The engine"): what an earlier pass
// left is resumed first; then lock, index, plan, and one phase at a time
// (conflicts, deletions, downloads, an upload batch) until nothing is left,
// and unlock. How a pass ends sets the mode: idle, networkNotConnected (a
// retry after a backoff), or an error mode.
import { backoffDelayMs } from "@smsync/protocol";
import { isServerError, NetworkError, SmsyncClientError, StagingFullError } from "../errors.ts";
import type { Mode } from "../modes.ts";
import type { DownloadedFileInfo } from "../platform/EnginePlatform.ts";
import { adoptAlreadyApplied } from "./alreadyApplied.ts";
import { resumeSentCommit } from "./commitBatch.ts";
import { resolveConflicts } from "./conflicts.ts";
import { applyServerDeletions, resumeInbound, startDownloads } from "./downloads.ts";
import type { EngineContext } from "./EngineContext.ts";
import { nonRecoverableCodes, StagedUploadGoneError } from "./engineErrors.ts";
import { fetchFileIndex } from "./fileIndex.ts";
import { dropFireAndForgetResults } from "./fireAndForgetResults.ts";
import { localFiles, pendingChanges } from "./localFiles.ts";
import { asError } from "./events.ts";
import { lock, unlock } from "./lock.ts";
import { planDownloads, type IndexEntry } from "./planDownloads.ts";
import { sweepUploadCopies } from "./reset.ts";
import { metaKeys } from "./state.ts";
import { uploadNextBatch } from "./uploadBatch.ts";

/** A pass that loses its lock more often than this gives up (nonRecoverableError, as STALE_FENCING_TOKEN). */
const maxLockLossesPerPass = 3;

/** Runs one pass; a pass that should be tried again later calls retryIn with the delay. Rejects in an error mode. */
export async function runPass<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  retryIn: (delayMs: number) => void,
): Promise<void> {
  await ctx.setMode("synchronizing");
  ctx.forgetByteEndpoints(); // asked again by the pass that needs them: a server restarted may have new limits
  try {
    await dropFireAndForgetResults(ctx.store, ctx.outbox);
    await reportLeftOverWork(ctx);
    for (let lockLosses = 0; ;) {
      try {
        await work(ctx);
        break;
      } catch (error) {
        // The lock was lost (taken over, or released by a reset): lock again, re-read the index, redo the batch under the new grant.
        const lost =
          error instanceof StagedUploadGoneError ||
          isServerError(error, "STALE_FENCING_TOKEN", "LOCK_REQUIRED", "UPLOAD_INCOMPLETE");
        if (!lost || ++lockLosses > maxLockLossesPerPass || ctx.closed) throw error;
        ctx.lease.stop();
      }
    }
    ctx.networkRestored();
    ctx.networkFailures = 0;
    await sweepUploadCopies(ctx);
    await ctx.setMode("idle");
  } catch (error) {
    await failed(ctx, error, retryIn);
  } finally {
    ctx.lease.stop();
  }
}

/** Tells the app what this pass takes over from an earlier one (cut by the network, a suspension, a crash or a relaunch). */
async function reportLeftOverWork<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<void> {
  const { store } = ctx;
  const [inbound, outbound] = await Promise.all([
    store.get("meta", metaKeys.inbound),
    store.get("meta", metaKeys.outbound),
  ]);
  if (inbound)
    ctx.emit("recovery", {
      kind: "resumedDownloads",
      files: (await store.list("beingDownloaded")).length,
      operationId: inbound.operationId,
    });
  if (outbound)
    ctx.emit("recovery", {
      kind: "resumedBatch",
      batch: outbound.batch,
      stage: outbound.commitSent ? "committing" : "uploading",
      operationId: outbound.operationId,
    });
}

async function work<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<void> {
  await resumeInbound(ctx);
  await resumeSentCommit(ctx);
  for (;;) {
    if (ctx.closed) return;
    ctx.signal.throwIfAborted();
    const fencingToken = await lock(ctx);
    if (fencingToken === null) return; // closed while waiting
    ctx.prefetchByteEndpoints();
    const index = await fetchFileIndex(ctx.client);
    const [files, pending] = await Promise.all([localFiles(ctx.store), pendingChanges(ctx.store)]);
    const plan = planDownloads(index, files, pending);
    if (plan.alreadyApplied.length) await adoptAlreadyApplied(ctx, plan.alreadyApplied);
    if (plan.conflicts.length) {
      await resolveConflicts(ctx, plan.conflicts);
      continue; // plan again (locking again as the holder keeps the grant)
    }
    if (plan.deletions.length) await applyServerDeletions(ctx, plan.deletions);
    // A transfer holds the lock from the index read above to its end, then releases it: the index changed by that
    // transfer alone. Another look at it (the lock, the index) is only for what is left: a committed batch to upload,
    // or a download that did not land (its staged copy gone, a change of the app's to the file meanwhile).
    if (plan.downloads.length) {
      await startDownloads(ctx, fencingToken, plan.downloads);
      await resumeInbound(ctx);
      if (await allLanded(ctx, plan.downloads)) break;
      continue;
    }
    const batch = await uploadNextBatch(ctx, fencingToken, index);
    if (batch === "lockReleased" && !(await uploadsWaiting(ctx))) break;
    if (batch !== null) continue;
    await unlock(ctx, fencingToken);
    break;
  }
}

/**
 * Whether a batch waits to go up: one the app committed, or one begun and not
 * finished (a server reset keeps its batch, to be redone under the next grant).
 */
async function uploadsWaiting<D extends DownloadedFileInfo>(ctx: EngineContext<D>): Promise<boolean> {
  if (await ctx.store.get("meta", metaKeys.outbound)) return true;
  return (await ctx.store.list("committedUploads")).length > 0;
}

/** The downloads are held at their planned versions, the inbound transfer is over, and no batch waits to go up. */
async function allLanded<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  downloads: IndexEntry[],
): Promise<boolean> {
  if (await ctx.store.get("meta", metaKeys.inbound)) return false;
  const held = await localFiles(ctx.store);
  const landed = downloads.every((entry) => {
    const file = held.get(entry.fileUUID);
    return file?.version === entry.version && file.sha256 === entry.sha256;
  });
  return landed && !(await uploadsWaiting(ctx));
}

/** The mode a failed pass leaves, and when it is tried again; rethrows in an error mode. */
async function failed<D extends DownloadedFileInfo>(
  ctx: EngineContext<D>,
  error: unknown,
  retryIn: (delayMs: number) => void,
): Promise<void> {
  if (ctx.closed) return;
  if (ctx.signal.aborted) {
    // Suspended: not a failure; the stored state is where resume() goes on.
    await ctx.setMode("idle");
    return;
  }
  if (error instanceof StagingFullError) {
    // The server has no room for this device's upload: its bytes so far are kept; a later pass resumes it.
    ctx.emit("transferWaiting", {
      direction: "upload",
      code: "STAGING_FULL",
      operationId: null,
      message: error.message,
    });
    await ctx.setMode("idle");
    retryIn(ctx.backoffMaxMs);
    return;
  }
  if (error instanceof NetworkError) {
    ctx.networkFailures += 1;
    ctx.networkDown = true;
    const delay = backoffDelayMs(
      ctx.networkFailures,
      { baseMs: ctx.backoffInitialMs, capMs: ctx.backoffMaxMs },
      ctx.random,
    );
    await ctx.setMode("networkNotConnected", error);
    retryIn(delay);
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const code = error instanceof SmsyncClientError ? error.code : undefined;
  const mode: Mode = code !== undefined && nonRecoverableCodes.has(code) ? "nonRecoverableError" : "internalError";
  // The pass's error is what its caller needs; a store that fails to keep the mode is told apart.
  await ctx
    .setMode(mode, err)
    .catch((storeError: unknown) => ctx.emit("backgroundFailure", { during: "storeMode", error: asError(storeError) }));
  throw err;
}
