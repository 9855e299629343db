// The outbound transfer: the staged files to the cloud, the file index
// updated in the step that records the cloud writes, then the lock released.
// The files go in chunks (transferChunks.ts): a chunk's files are written
// concurrently, then one transaction records them all. Each step is one
// transaction; a crash between any two steps resumes at the step that did
// not commit. The cloud write is idempotent by (fileUUID, version), so a
// crash after it and before the index update does not write a second
// object. Once a file's index update committed, the change stands: a removal
// of the object it replaced that a retry cannot fix is owed and retried by
// the worker later (owedRemovals.ts), not a failure of the transfer.
import { crashPoint, crashPointInStream } from "../faults/crashPoints.ts";
import { transactWithEvents, type EventBatch } from "../events/eventLog.ts";
import { assertClaim, ClaimLostError } from "./TransferClaim.ts";
import { markSucceeded, recordFilesProgress } from "./transferSteps.ts";
import { checkNotStopped, type TransferContext } from "./TransferContext.ts";
import { createReadStream, existsSync } from "node:fs";
import { setImmediate } from "node:timers/promises";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { recordOwedRemoval, removeReplacedObject, type OwedRemoval } from "./owedRemovals.ts";
import { uploadSessionOf } from "./uploadSessions.ts";
import { takeOverAbandonedWrites } from "./abandonedWrites.ts";
import { defaultCloudConcurrency, transferChunks } from "./transferChunks.ts";
import { runInOrder, type InOrderOutcome } from "../concurrency/runInOrder.ts";
import type { CloudObjectMetadata } from "../cloud/CloudStorage.ts";
import {
  readOnlyRaw,
  type Database,
  type OperationItem,
  type StagedUpload,
  type Transaction,
} from "../database/client.ts";
import { executeInTransaction, insertRows, queryInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { DeferredDirectorySyncs } from "../durability/DeferredDirectorySyncs.ts";

export async function runOutboundTransfer(context: TransferContext): Promise<void> {
  const { services, operation } = context;
  const { db, notifier, staging } = services;
  crashPoint("outbound.claimed");
  const items = await db.operationItem.findMany({ where: { operationId: operation.id }, orderBy: { fileUUID: "asc" } });

  const unfinished = items.filter((item) => item.state === "PENDING" || item.state === "INDEXED");
  for (const chunk of transferChunks(unfinished)) {
    checkNotStopped(context);
    const pending = chunk.filter((item) => item.state === "PENDING");
    if (pending.length > 0) await indexChunk(context, pending);
    const indexed = chunk.filter((item) => item.state === "INDEXED");
    if (indexed.length > 0) await removeReplacedObjects(context, indexed);
  }

  crashPoint("outbound.beforeRelease");
  context.phase = "release of the lock";
  const uploads = await db.stagedUpload.findMany({ where: { operationId: operation.id }, select: { id: true } });
  await transactWithEvents(db, notifier, async (tx, events) => {
    await markSucceeded(tx, events, context);
    await tx.stagedUpload.deleteMany({ where: { operationId: operation.id } });
    await tx.uploadDeletion.deleteMany({ where: { operationId: operation.id } });
    await events.append({
      userId: operation.userId,
      operationId: operation.id,
      type: "FILE_INDEX_CHANGED",
      payload: {
        deviceId: operation.deviceId,
        files: items.map((item) => ({
          fileUUID: item.fileUUID,
          version: item.version,
          deleted: item.action === "DELETE",
        })),
      },
    });
  });
  // Staged bytes are no longer needed (a cloud object linked to them keeps its name); the staging sweeper
  // removes any left by a crash here. Each removal is a synchronous unlink (StagingArea.ts), so the event loop
  // is let turn between slices: thousands of them would hold every other request for a few hundred ms.
  for (const [index, upload] of uploads.entries()) {
    if (index > 0 && index % stagingRemovalSlice === 0) await setImmediate();
    staging.removeUpload(upload.id);
  }
}

type Item = OperationItem;

/** Staged uploads removed between two turns of the event loop: about a millisecond of unlinks. */
const stagingRemovalSlice = 64;

/** A file of a chunk whose cloud step is done: an upload's object written, or a deletion (nothing to write). */
interface Written {
  item: Item;
  upload: StagedContent | null;
  objectId: string | null;
}

/**
 * The PENDING files of a chunk: the uploads written to the cloud
 * concurrently, then one transaction records them (and the deletions) in the
 * file index. A file whose replaced object needs no removal goes straight to
 * DONE; the others go INDEXED. If a write fails, the files before it are
 * recorded and the error is passed on (runInOrder).
 */
async function indexChunk(context: TransferContext, pending: Item[]): Promise<void> {
  const { services, operation } = context;
  const { db, cloud, staging } = services;
  const uploads = pending.filter((item) => item.action === "UPLOAD");
  const stagedById = await stagedUploadsOf(
    db,
    uploads.map((item) => item.stagedUploadId!),
  );
  // A given-up batch may have written these keys; its removal must not take what these writes find.
  // Whether an earlier run of an item began a write (a crash, a retry), its session record tells the
  // cloud; that a given-up batch wrote a key, only the takeover knows.
  const abandoned = await takeOverAbandonedWrites(db, services.clock, operation.userId, uploads, () =>
    checkNotStopped(context),
  );

  context.phase = `cloud writes of ${uploads.length} files`;
  // The names the writes make in a local cloud, fsynced once a directory before the chunk is recorded.
  const directorySyncs = new DeferredDirectorySyncs();
  const stagedUploadOf = (item: Item): StagedContent => {
    const upload = stagedById.get(item.stagedUploadId!);
    if (!upload) throw new Error(`the staged upload ${item.stagedUploadId} of ${item.fileUUID} has no row`);
    return upload;
  };
  const { results: written, failed } = cloud.writeObjectsFromFiles
    ? await writeFromFiles(context, pending, stagedUploadOf, directorySyncs)
    : await runInOrder(pending, cloud.writeConcurrency ?? defaultCloudConcurrency, async (item): Promise<Written> => {
        if (item.action !== "UPLOAD") return { item, upload: null, objectId: null };
        const upload = stagedUploadOf(item);
        const metadata = cloudMetadataOf(context, item, upload);
        // Bytes lost from staging (a disk replaced, files removed by hand) come back with no retry.
        if (!existsSync(staging.uploadPath(upload.id)) && !(await cloud.findObject(metadata))) {
          throw stagedUploadMissing(item);
        }
        const object = await cloud.writeObject(
          metadata,
          () => {
            const content = createReadStream(staging.uploadPath(upload.id));
            const crash = crashPointInStream("outbound.midCloudWrite");
            return crash ? content.pipe(crash) : content;
          },
          {
            session: uploadSessionOf(db, operation.id, item.fileUUID),
            mayAlreadyExist: abandoned.has(item.fileUUID),
            // Complete and committed, so never written again: a local cloud may link it (LocalDirectoryStorage.ts).
            sourceFile: staging.uploadPath(upload.id),
            directorySyncs,
          },
        );
        crashPoint("outbound.chunkFileWritten");
        return { item, upload, objectId: object.objectId };
      });

  // Per file, once the chunk's writes have settled: no other write of the chunk is then half done.
  for (const file of written) if (file.upload) crashPoint("outbound.afterCloudWrite");
  if (written.length > 0) {
    context.phase = `index update of ${written.length} files`;
    await directorySyncs.flush();
    const objects = written.filter((file) => file.objectId !== null);
    await onClaimLost(
      async () => {
        for (const file of objects)
          await removeIfOrphaned(context, file.item.fileUUID, file.item.version, file.objectId!);
      },
      () => transactWithEvents(db, services.notifier, (tx, events) => recordIndexUpdates(tx, events, context, written)),
    );
    for (const _file of written) crashPoint("outbound.afterIndexUpdate");
  }
  if (failed) {
    context.phase = `cloud write of ${failed.item.fileUUID} v${failed.item.version}`;
    throw failed.error;
  }
}

/** What a transfer needs of a staged upload's row. */
type StagedContent = Pick<StagedUpload, "id" | "cloudFileName" | "mimeType" | "appMetaData" | "sha256" | "size">;

/** The staged uploads of a chunk, by id: one raw statement (readOnlyRaw), not Prisma's compiled query. */
async function stagedUploadsOf(db: Database, ids: string[]): Promise<Map<string, StagedContent>> {
  if (ids.length === 0) return new Map();
  const rows = await readOnlyRaw<Omit<StagedContent, "size"> & { size: number | bigint }>(
    db,
    Prisma.sql`SELECT "id", "cloudFileName", "mimeType", "appMetaData", "sha256", "size" FROM "StagedUpload"
      WHERE "id" IN (${Prisma.join(ids)})`,
  );
  return new Map(rows.map((row) => [row.id, { ...row, size: BigInt(row.size) }]));
}

/** What the cloud is told of an upload's object. */
function cloudMetadataOf(context: TransferContext, item: Item, upload: StagedContent): CloudObjectMetadata {
  return {
    userId: context.operation.userId,
    fileUUID: item.fileUUID,
    version: item.version,
    cloudFileName: upload.cloudFileName,
    mimeType: upload.mimeType,
    sha256: upload.sha256,
    size: Number(upload.size),
  };
}

/** Bytes lost from staging (a disk replaced, files removed by hand): they come back with no retry. */
function stagedUploadMissing(item: Item): SmsyncError {
  return new SmsyncError(
    "STAGED_UPLOAD_MISSING",
    `the staged bytes of ${item.fileUUID} v${item.version} are gone; upload the file again`,
    { fileUUID: item.fileUUID },
  );
}

/**
 * A chunk's uploads written by the cloud together from their staged files
 * (CloudStorage.writeObjectsFromFiles), the results in the chunk's order
 * up to the first write that failed, as runInOrder gives them.
 */
async function writeFromFiles(
  context: TransferContext,
  pending: Item[],
  stagedUploadOf: (item: Item) => StagedContent,
  directorySyncs: DeferredDirectorySyncs,
): Promise<InOrderOutcome<Item, Written>> {
  const { cloud, staging } = context.services;
  const uploads = pending.filter((item) => item.action === "UPLOAD");
  const writes = uploads.map((item) => {
    const upload = stagedUploadOf(item);
    return { metadata: cloudMetadataOf(context, item, upload), sourceFile: staging.uploadPath(upload.id) };
  });
  const outcome = await cloud.writeObjectsFromFiles!(writes, directorySyncs);
  const results: Written[] = [];
  let next = 0;
  for (const item of pending) {
    if (item.action !== "UPLOAD") {
      results.push({ item, upload: null, objectId: null });
      continue;
    }
    const object = outcome.results[next++];
    if (!object) {
      // A write found no source and no object (writeObject looked for one): the bytes are gone.
      const error = existsSync(writes[next - 1]!.sourceFile) ? outcome.failed?.error : stagedUploadMissing(item);
      return { results, failed: { item, error } };
    }
    crashPoint("outbound.chunkFileWritten");
    results.push({ item, upload: stagedUploadOf(item), objectId: object.objectId });
  }
  return { results };
}

/**
 * The transaction of a chunk: the file index rows of its uploads replaced
 * (one read of the previous rows, one delete, one insert: portable, and no
 * statement a file; nothing refers to a FileEntry row), its deletions marked,
 * its items' new states, the counters and the FILES_TRANSFERRED event.
 * Updates the items in memory as the transaction records them.
 */
async function recordIndexUpdates(
  tx: Transaction,
  events: EventBatch,
  context: TransferContext,
  written: Written[],
): Promise<void> {
  const { operation } = context;
  const { userId } = operation;
  await assertClaim(tx, operation.id, context.workerId);
  // Raw (transactionRaw.ts), as the statements below: a chunk's statements through Prisma cost more CPU than the
  // rest of its transaction (its query compiler plans each IN list of a chunk anew).
  const previousRows = await queryInTransaction<{ fileUUID: string; cloudObjectId: string | null }>(
    tx,
    Prisma.sql`SELECT "fileUUID", "cloudObjectId" FROM "FileEntry"
      WHERE "userId" = ${userId} AND "fileUUID" IN (${Prisma.join(written.map((file) => file.item.fileUUID))})`,
  );
  const previous = new Map(previousRows.map((entry) => [entry.fileUUID, entry]));
  const now = new Date();
  const entries = [];
  const deletedUUIDs = [];
  const itemRows: Item[] = [];
  for (const { item, upload, objectId } of written) {
    const before = previous.get(item.fileUUID);
    let replaced: string | null;
    if (upload) {
      entries.push({
        userId,
        fileUUID: item.fileUUID,
        cloudFileName: upload.cloudFileName,
        mimeType: upload.mimeType,
        appMetaData: upload.appMetaData,
        version: item.version,
        deleted: false,
        size: upload.size,
        sha256: upload.sha256,
        cloudObjectId: objectId,
        updatedAt: now,
      });
      replaced = before?.cloudObjectId && before.cloudObjectId !== objectId ? before.cloudObjectId : null;
    } else {
      if (!before) throw new Error(`file ${item.fileUUID}, deleted by ${operation.id}, is not in the file index`);
      deletedUUIDs.push(item.fileUUID);
      replaced = before.cloudObjectId;
    }
    // Nothing to remove: done in this step; else the removal of the replaced object comes next.
    const state = replaced ? "INDEXED" : "DONE";
    itemRows.push({
      ...item,
      state,
      cloudObjectId: objectId ?? item.cloudObjectId,
      replacedObjectId: replaced,
      cloudUploadSession: null,
    });
  }
  const replacedEntries = entries.filter((entry) => previous.has(entry.fileUUID)).map((entry) => entry.fileUUID);
  if (replacedEntries.length > 0)
    await executeInTransaction(
      tx,
      Prisma.sql`DELETE FROM "FileEntry" WHERE "userId" = ${userId} AND "fileUUID" IN (${Prisma.join(replacedEntries)})`,
    );
  await insertRows(tx, "FileEntry", entries);
  if (deletedUUIDs.length > 0) {
    await tx.fileEntry.updateMany({
      where: { userId, fileUUID: { in: deletedUUIDs } },
      data: { deleted: true, cloudObjectId: null, updatedAt: now },
    });
  }
  // The items' rows replaced likewise: each has its own object ids, which no one UPDATE sets.
  await executeInTransaction(
    tx,
    Prisma.sql`DELETE FROM "OperationItem" WHERE "operationId" = ${operation.id}
      AND "fileUUID" IN (${Prisma.join(itemRows.map((item) => item.fileUUID))})`,
  );
  await insertRows(tx, "OperationItem", itemRows);
  await recordFilesProgress(
    tx,
    events,
    context,
    written.map(({ item, upload }) => ({
      fileUUID: item.fileUUID,
      version: item.version,
      bytes: upload ? item.size : 0n,
      action: item.action,
    })),
  );
  for (const [index, { item }] of written.entries()) {
    item.state = itemRows[index]!.state;
    item.replacedObjectId = itemRows[index]!.replacedObjectId;
  }
}

/**
 * The INDEXED files of a chunk: the change is committed, and removing the
 * objects it replaced is cleanup, concurrently; one transaction marks them
 * DONE. A removal that a retry cannot fix does not fail the transfer; it is
 * owed (owedRemovals.ts). A retryable failure is passed on once the files
 * before it are recorded.
 */
async function removeReplacedObjects(context: TransferContext, indexed: Item[]): Promise<void> {
  const { services, operation } = context;
  const { db, cloud } = services;
  context.phase = `removal of the replaced cloud objects of ${indexed.length} files`;
  const { results, failed } = await runInOrder(
    indexed,
    cloud.writeConcurrency ?? defaultCloudConcurrency,
    async (item): Promise<{ item: Item; owed: OwedRemoval | null }> => {
      if (!item.replacedObjectId) return { item, owed: null };
      const error = await removeReplacedObject(cloud, operation.userId, item.replacedObjectId);
      if (!error) {
        crashPoint("outbound.afterReplacedObjectRemoved");
        return { item, owed: null };
      }
      const owed = {
        userId: operation.userId,
        objectId: item.replacedObjectId,
        fileUUID: item.fileUUID,
        operationId: operation.id,
        error,
      };
      return { item, owed };
    },
  );
  if (results.length > 0) {
    await db.$transaction(async (tx) => {
      await assertClaim(tx, operation.id, context.workerId);
      await tx.operationItem.updateMany({
        where: { operationId: operation.id, fileUUID: { in: results.map(({ item }) => item.fileUUID) } },
        data: { state: "DONE" },
      });
      for (const { owed } of results) if (owed) await recordOwedRemoval(tx, services, owed);
    });
    for (const { item, owed } of results) {
      item.state = "DONE";
      if (!owed) continue;
      services.logger.warn(
        {
          operationId: operation.id,
          userId: operation.userId,
          fileUUID: owed.fileUUID,
          objectId: owed.objectId,
          err: owed.error,
        },
        "removing a replaced cloud object failed; the change stands and the removal is owed",
      );
    }
  }
  if (failed) {
    context.phase = `removal of the replaced cloud object of ${failed.item.fileUUID}`;
    throw failed.error;
  }
}

/** Runs step; if it finds the claim lost, runs cleanup before passing the error on. */
async function onClaimLost<T>(cleanup: () => Promise<void>, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ClaimLostError) await cleanup();
    throw error;
  }
}

/**
 * A worker that lost its claim after its cloud write (it stalled longer than
 * its claim, and another worker took the transfer over) may have written an
 * object that nothing will ever refer to: the taker-over finished the item,
 * and the file index has since moved past this version (a later version
 * replaced it and removed its object, or it was deleted), or points at
 * another object of the same version. Such an object is removed. While the
 * index is still below this version, the object is left alone: the transfer
 * that owns the item is live elsewhere, and its write finds this object.
 */
async function removeIfOrphaned(
  context: TransferContext,
  fileUUID: string,
  version: number,
  objectId: string,
): Promise<void> {
  const { db, cloud, logger } = context.services;
  const { userId } = context.operation;
  try {
    const entry = await db.fileEntry.findUnique({ where: { userId_fileUUID: { userId, fileUUID } } });
    if (!entry || entry.version < version || entry.cloudObjectId === objectId) return;
    await cloud.deleteObject(userId, objectId);
    logger.warn(
      { operationId: context.operation.id, fileUUID, version, objectId },
      "removed the cloud object of a write that lost its claim",
    );
  } catch (error) {
    logger.error(
      { err: error, operationId: context.operation.id, fileUUID, version, objectId },
      "removing an orphaned cloud object failed",
    );
  }
}
