// The inbound transfer: each requested file from the cloud into staging,
// its sha256 checked on the way, then the lock released. A file is staged
// under a temporary name and renamed into place before its step commits, so
// a crash leaves either no staged file or a whole, verified one. A copy cut
// off before its end (tries run out, a process killed) is resumed by the
// next attempt from the bytes it holds (partialCopies.ts).
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import { HashingStream, sha256OfFile } from "../content/sha256.ts";
import { makeDirectoryDurably, renameDurably } from "../durability/durableFiles.ts";
import { transactWithEvents } from "../events/eventLog.ts";
import { crashPoint, crashPointInStream } from "../faults/crashPoints.ts";
import { takeOverPartialCopy } from "./partialCopies.ts";
import { markSucceeded, recordFileProgress } from "./transferSteps.ts";
import { assertClaim } from "./TransferClaim.ts";
import { checkNotStopped, type TransferContext } from "./TransferContext.ts";

export async function runInboundTransfer(context: TransferContext): Promise<void> {
  const { services, operation } = context;
  const { db, cloud, notifier, staging } = services;
  crashPoint("inbound.claimed");
  const items = await db.operationItem.findMany({ where: { operationId: operation.id }, orderBy: { fileUUID: "asc" } });

  for (const item of items.filter((candidate) => candidate.state !== "DONE")) {
    checkNotStopped(context);
    context.phase = `cloud read of ${item.fileUUID} v${item.version}`;
    if (!item.cloudObjectId) throw new CloudStorageError("notFound", `file ${item.fileUUID} has no cloud object`);
    const target = staging.inboundPath(operation.userId, item.fileUUID, item.version);
    await makeDirectoryDurably(path.dirname(target));
    const partial = `${target}.${randomUUID()}.partial`;
    let contentWrong = false;
    try {
      // What an earlier attempt copied is kept; only the rest comes from the cloud.
      const resumedFrom = await takeOverPartialCopy(target, partial, Number(item.size));
      const hashing = new HashingStream();
      if (resumedFrom < Number(item.size) || item.size === 0n) {
        const source = await cloud.readObject(
          operation.userId,
          item.cloudObjectId,
          resumedFrom > 0 ? { start: resumedFrom } : undefined,
        );
        const copy = createWriteStream(partial, { flags: resumedFrom > 0 ? "a" : "w", flush: true });
        const crash = crashPointInStream("inbound.midCloudRead");
        if (crash) await pipeline(source, crash, hashing, copy);
        else await pipeline(source, hashing, copy);
      }
      const sha256 = resumedFrom > 0 ? (await sha256OfFile(partial)).sha256 : hashing.digest();
      contentWrong = sha256 !== item.sha256;
      if (contentWrong && resumedFrom > 0) {
        throw new CloudStorageError(
          "transient",
          `the resumed copy of ${item.fileUUID} v${item.version} has sha256 ${sha256}, not ${item.sha256}; it is fetched whole again`,
        );
      }
      if (contentWrong) {
        throw new CloudStorageError(
          "integrity",
          `cloud content of ${item.fileUUID} v${item.version} has sha256 ${sha256}, the index says ${item.sha256}`,
        );
      }
      await renameDurably(partial, target);
    } catch (error) {
      // A copy cut off (a retry may finish it) is kept for the next attempt; one whose content is wrong, or that no retry needs, is not.
      const cutOff = !contentWrong && (!(error instanceof CloudStorageError) || error.retryable);
      if (!cutOff) await rm(partial, { force: true });
      throw error;
    }
    crashPoint("inbound.afterStaging");
    context.phase = `staging record of ${item.fileUUID} v${item.version}`;
    await transactWithEvents(db, notifier, async (tx, events) => {
      await assertClaim(tx, operation.id, context.workerId);
      const key = { userId: operation.userId, fileUUID: item.fileUUID, version: item.version };
      await tx.inboundStagedFile.upsert({
        where: { userId_fileUUID_version: key },
        create: {
          ...key,
          sha256: item.sha256,
          size: item.size,
          operationId: operation.id,
          createdAt: services.clock.now(),
        },
        update: { operationId: operation.id, createdAt: services.clock.now() },
      });
      await tx.operationItem.update({
        where: { operationId_fileUUID: { operationId: operation.id, fileUUID: item.fileUUID } },
        data: { state: "DONE" },
      });
      await recordFileProgress(tx, events, context, item.fileUUID, item.version, item.size, "DOWNLOAD");
    });
    crashPoint("inbound.afterItemDone");
  }

  crashPoint("inbound.beforeRelease");
  context.phase = "release of the lock";
  await transactWithEvents(db, notifier, async (tx, events) => {
    await markSucceeded(tx, events, context);
  });
}
