// The inbound transfer: each requested file from the cloud into staging,
// its sha256 checked on the way, then the lock released. The files go in
// chunks (transferChunks.ts): a chunk's files are copied concurrently, then
// one transaction records them all. A file is staged
// under a temporary name and renamed into place before its step commits, so
// a crash leaves either no staged file or a whole, verified one. A copy cut
// off before its end (tries run out, a process killed) is resumed by the
// next attempt from the bytes it holds (partialCopies.ts). A backend of
// local files on the staging file system lends its object instead: a hard
// link, checked like a copy (linkObject in CloudStorage.ts). The names of a
// chunk are made durable by one fsync of each directory before the chunk's
// transaction records them.
import { randomUUID } from "node:crypto";
import { createWriteStream, renameSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { CloudStorage } from "../cloud/CloudStorage.ts";
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import { HashingStream, sha256OfFile } from "../content/sha256.ts";
import { makeDirectoryDurably } from "../durability/durableFiles.ts";
import { DeferredDirectorySyncs } from "../durability/DeferredDirectorySyncs.ts";
import { transactWithEvents, type EventBatch } from "../events/eventLog.ts";
import { crashPoint, crashPointInStream } from "../faults/crashPoints.ts";
import { PartialCopies } from "./partialCopies.ts";
import { markSucceeded, recordFilesProgress } from "./transferSteps.ts";
import { defaultCloudConcurrency, transferChunks } from "./transferChunks.ts";
import { runInOrder } from "../concurrency/runInOrder.ts";
import type { OperationItem, Transaction } from "../database/client.ts";
import { executeInTransaction, insertRows } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { assertClaim } from "./TransferClaim.ts";
import { checkNotStopped, type TransferContext } from "./TransferContext.ts";

export async function runInboundTransfer(context: TransferContext): Promise<void> {
  const { services, operation } = context;
  const { db, cloud, notifier } = services;
  crashPoint("inbound.claimed");
  const items = await db.operationItem.findMany({ where: { operationId: operation.id }, orderBy: { fileUUID: "asc" } });
  const stagingDir = services.staging.inboundUserDir(operation.userId);
  await makeDirectoryDurably(stagingDir);
  const partials = await PartialCopies.list(stagingDir);

  for (const chunk of transferChunks(items.filter((candidate) => candidate.state !== "DONE"))) {
    checkNotStopped(context);
    context.phase = `cloud reads of ${chunk.length} files`;
    const directorySyncs = new DeferredDirectorySyncs();
    const { results: staged, failed } = await runInOrder(
      chunk,
      cloud.readConcurrency ?? defaultCloudConcurrency,
      async (item) => {
        await stageFile(context, partials, item, directorySyncs);
        crashPoint("inbound.afterStaging");
        return item;
      },
    );
    if (staged.length > 0) {
      context.phase = `staging record of ${staged.length} files`;
      await directorySyncs.flush();
      await transactWithEvents(db, notifier, (tx, events) => recordStagedFiles(tx, events, context, staged));
      for (const _item of staged) crashPoint("inbound.afterItemDone");
    }
    if (failed) {
      context.phase = `cloud read of ${failed.item.fileUUID} v${failed.item.version}`;
      throw failed.error;
    }
  }

  crashPoint("inbound.beforeRelease");
  context.phase = "release of the lock";
  await transactWithEvents(db, notifier, async (tx, events) => {
    await markSucceeded(tx, events, context);
  });
}

type Item = OperationItem;

/**
 * Stages one file from the cloud, whole and checked, under its final name
 * (its directory left to `directorySyncs`): a link to the object where the
 * backend can make one, else a copy.
 */
async function stageFile(
  context: TransferContext,
  partials: PartialCopies,
  item: Item,
  directorySyncs: DeferredDirectorySyncs,
): Promise<void> {
  const { services, operation } = context;
  const { cloud, staging } = services;
  if (!item.cloudObjectId) throw new CloudStorageError("notFound", `file ${item.fileUUID} has no cloud object`);
  const target = staging.inboundPath(operation.userId, item.fileUUID, item.version);
  if (await stageByLink(context, partials, item, item.cloudObjectId, target)) {
    directorySyncs.add(path.dirname(target));
    return;
  }
  const partial = `${target}.${randomUUID()}.partial`;
  let contentWrong = false;
  try {
    // What an earlier attempt copied is kept; only the rest comes from the cloud.
    const resumedFrom = await partials.takeOver(target, partial, Number(item.size));
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
    await rename(partial, target);
    directorySyncs.add(path.dirname(target));
  } catch (error) {
    // A copy cut off (a retry may finish it) is kept for the next attempt; one whose content is wrong, or that no retry needs, is not.
    const cutOff = !contentWrong && (!(error instanceof CloudStorageError) || error.retryable);
    if (!cutOff) await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Stages the file as a hard link to its cloud object, checked against the
 * index's sha256 as a copy is; false when the backend cannot link it (then
 * it is copied). The link's temporary name ends in `.link`, never
 * `.partial`: a partial copy is resumed by appending to it
 * (partialCopies.ts), which must never reach an object's bytes through a
 * link. The object's bytes are durable already (the cloud wrote them so);
 * only the new name is not, until its directory's fsync.
 */
async function stageByLink(
  context: TransferContext,
  partials: PartialCopies,
  item: Item,
  objectId: string,
  target: string,
): Promise<boolean> {
  const { cloud } = context.services;
  if (!cloud.linkObject) return false;
  // One name a file, not one an attempt: an attempt removes what a killed one left (two workers on one
  // file can only make each other's link or rename fail, and retry: both link the same unchanging bytes).
  // Neither name there when the attempt listed the folder (the usual case): nothing to remove before or after.
  const linked = `${target}.link`;
  const leftBehind = partials.listed(path.basename(linked)) || partials.listed(path.basename(target));
  if (leftBehind) await rm(linked, { force: true });
  if (!(await linkReplacing(cloud.linkObject.bind(cloud), context.operation.userId, objectId, linked))) return false;
  try {
    // The point of a crash with the file partly staged, as in the copy's stream.
    crashPoint("inbound.midCloudRead");
    // Bytes the cloud checked as it placed them, unchanged since (the same inode, size and time), are not read again.
    const sha256 =
      cloud.knownSha256?.(context.operation.userId, objectId, linked) ?? (await sha256OfFile(linked)).sha256;
    if (sha256 !== item.sha256) {
      throw new CloudStorageError(
        "integrity",
        `cloud content of ${item.fileUUID} v${item.version} has sha256 ${sha256}, the index says ${item.sha256}`,
      );
    }
    renameSync(linked, target); // synchronous, like the link and a small file's hash: thousands a transfer (hardLinks.ts)
  } catch (error) {
    await rm(linked, { force: true });
    throw error;
  }
  // A rename onto another name of the same inode (staged by a killed attempt) does nothing and leaves both.
  if (leftBehind) await rm(linked, { force: true });
  return true;
}

/** linkObject to `to`; a name there already (left after the folder was listed, by a worker that lost its claim) is removed first. */
async function linkReplacing(
  linkObject: NonNullable<CloudStorage["linkObject"]>,
  userId: string,
  objectId: string,
  to: string,
): Promise<boolean> {
  try {
    return await linkObject(userId, objectId, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    await rm(to, { force: true });
    return linkObject(userId, objectId, to);
  }
}

/**
 * The transaction of a chunk of staged files: their InboundStagedFile rows
 * (replacing any of the same key: one delete, one insert), the items DONE,
 * the counters and a FILES_TRANSFERRED event.
 */
async function recordStagedFiles(
  tx: Transaction,
  events: EventBatch,
  context: TransferContext,
  staged: Item[],
): Promise<void> {
  const { services, operation } = context;
  const { userId } = operation;
  await assertClaim(tx, operation.id, context.workerId);
  // Raw (transactionRaw.ts), as the UPDATE below: through Prisma a chunk's statements cost more CPU than the rest
  // of its transaction (its query compiler plans each list of a chunk anew).
  const keys = staged.map((item) => Prisma.sql`("fileUUID" = ${item.fileUUID} AND "version" = ${item.version})`);
  // The IN lets SQLite find the rows by the primary key's (userId, fileUUID): with the OR alone it reads every
  // row of the user's, each chunk, which for 10,000 staged files was most of the inbound transfer's CPU.
  await executeInTransaction(
    tx,
    Prisma.sql`DELETE FROM "InboundStagedFile" WHERE "userId" = ${userId}
      AND "fileUUID" IN (${Prisma.join(staged.map((item) => item.fileUUID))}) AND (${Prisma.join(keys, " OR ")})`,
  );
  const createdAt = services.clock.now();
  const rows = staged.map((item) => ({
    userId,
    fileUUID: item.fileUUID,
    version: item.version,
    sha256: item.sha256,
    size: item.size,
    operationId: operation.id,
    createdAt,
  }));
  await insertRows(tx, "InboundStagedFile", rows);
  await executeInTransaction(
    tx,
    Prisma.sql`UPDATE "OperationItem" SET "state" = 'DONE' WHERE "operationId" = ${operation.id}
      AND "fileUUID" IN (${Prisma.join(staged.map((item) => item.fileUUID))})`,
  );
  await recordFilesProgress(
    tx,
    events,
    context,
    staged.map((item) => ({ fileUUID: item.fileUUID, version: item.version, bytes: item.size, action: "DOWNLOAD" })),
  );
}
