// The inbound transfer: each requested file from the cloud into staging,
// its sha256 checked on the way, then the lock released. A file is staged
// under a temporary name and renamed into place before its step commits, so
// a crash leaves either no staged file or a whole, verified one.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import { HashingStream } from "../content/sha256.ts";
import { makeDirectoryDurably, renameDurably } from "../durability/durableFiles.ts";
import { transactWithEvents } from "../events/eventLog.ts";
import { crashPoint, crashPointInStream } from "../faults/crashPoints.ts";
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
    await removePartialCopies(target);
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      const hashing = new HashingStream();
      const source = await cloud.readObject(operation.userId, item.cloudObjectId);
      const crash = crashPointInStream("inbound.midCloudRead");
      if (crash) await pipeline(source, crash, hashing, createWriteStream(partial, { flush: true }));
      else await pipeline(source, hashing, createWriteStream(partial, { flush: true }));
      const sha256 = hashing.digest();
      if (sha256 !== item.sha256) {
        throw new CloudStorageError("integrity", `cloud content of ${item.fileUUID} v${item.version} has sha256 ${sha256}, the index says ${item.sha256}`);
      }
      await renameDurably(partial, target);
    } finally {
      await rm(partial, { force: true });
    }
    crashPoint("inbound.afterStaging");
    context.phase = `staging record of ${item.fileUUID} v${item.version}`;
    await transactWithEvents(db, notifier, async (tx, events) => {
      await assertClaim(tx, operation.id, context.workerId);
      const key = { userId: operation.userId, fileUUID: item.fileUUID, version: item.version };
      await tx.inboundStagedFile.upsert({
        where: { userId_fileUUID_version: key },
        create: { ...key, sha256: item.sha256, size: item.size, operationId: operation.id },
        update: { operationId: operation.id, createdAt: new Date() },
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

/**
 * Removes the partial copies of a staged file that an earlier attempt left
 * (its process was killed in mid-copy). A copy still being written by a
 * worker that lost its claim loses its file, and that worker fails its step.
 */
async function removePartialCopies(target: string): Promise<void> {
  const prefix = `${path.basename(target)}.`;
  for (const entry of await readdir(path.dirname(target))) {
    if (entry.startsWith(prefix) && entry.endsWith(".partial")) await rm(path.join(path.dirname(target), entry), { force: true });
  }
}
