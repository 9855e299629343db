// The outbound transfer: each staged file to the cloud, the file index
// updated in the step that records the cloud write, then the lock released.
// Each step is one transaction; a crash between any two steps resumes at
// the step that did not commit. The cloud write is idempotent by (fileUUID,
// version), so a crash after it and before the index update does not write
// a second object. Once a file's index update committed, the change stands:
// a removal of the object it replaced that a retry cannot fix is owed and
// retried by the worker later (owedRemovals.ts), not a failure of the transfer.
import { crashPoint, crashPointInStream } from "../faults/crashPoints.ts";
import { transactWithEvents } from "../events/eventLog.ts";
import { assertClaim, ClaimLostError } from "./TransferClaim.ts";
import { markSucceeded, recordFileProgress } from "./transferSteps.ts";
import { checkNotStopped, type TransferContext } from "./TransferContext.ts";
import { createReadStream, existsSync } from "node:fs";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { recordOwedRemoval, removeReplacedObject, type OwedRemoval } from "./owedRemovals.ts";
import { uploadSessionOf } from "./uploadSessions.ts";
import { takeOverAbandonedWrite } from "./abandonedWrites.ts";

export async function runOutboundTransfer(context: TransferContext): Promise<void> {
  const { services, operation } = context;
  const { db, cloud, notifier, staging } = services;
  crashPoint("outbound.claimed");
  const items = await db.operationItem.findMany({ where: { operationId: operation.id }, orderBy: { fileUUID: "asc" } });

  for (const item of items) {
    if (item.state === "PENDING") {
      checkNotStopped(context);
      let cloudObjectId: string | null = null;
      if (item.action === "UPLOAD") {
        const upload = await db.stagedUpload.findUniqueOrThrow({ where: { id: item.stagedUploadId! } });
        context.phase = `cloud write of ${item.fileUUID} v${item.version}`;
        const metadata = {
          userId: operation.userId,
          fileUUID: item.fileUUID,
          version: item.version,
          cloudFileName: upload.cloudFileName,
          mimeType: upload.mimeType,
          sha256: upload.sha256,
          size: Number(upload.size),
        };
        // Bytes lost from staging (a disk replaced, files removed by hand) come back with no retry.
        if (!existsSync(staging.uploadPath(upload.id)) && !(await cloud.findObject(metadata))) {
          throw new SmsyncError(
            "STAGED_UPLOAD_MISSING",
            `the staged bytes of ${item.fileUUID} v${item.version} are gone; upload the file again`,
            { fileUUID: item.fileUUID },
          );
        }
        // A given-up batch may have written this key; its removal must not take what this write finds.
        // Whether an earlier run of this item began a write (a crash, a retry), its session record tells the
        // cloud; that a given-up batch wrote this key, only the takeover knows.
        const abandoned = await takeOverAbandonedWrite(db, services.clock, metadata, () => checkNotStopped(context));
        const written = await cloud.writeObject(
          metadata,
          () => {
            const content = createReadStream(staging.uploadPath(upload.id));
            const crash = crashPointInStream("outbound.midCloudWrite");
            return crash ? content.pipe(crash) : content;
          },
          { session: uploadSessionOf(db, operation.id, item.fileUUID), mayAlreadyExist: abandoned },
        );
        cloudObjectId = written.objectId;
        crashPoint("outbound.afterCloudWrite");
        context.phase = `index update of ${item.fileUUID} v${item.version}`;
        await onClaimLost(
          () => removeIfOrphaned(context, item.fileUUID, item.version, written.objectId),
          () =>
            transactWithEvents(db, notifier, async (tx, events) => {
              await assertClaim(tx, operation.id, context.workerId);
              const previous = await tx.fileEntry.findUnique({
                where: { userId_fileUUID: { userId: operation.userId, fileUUID: item.fileUUID } },
              });
              const entry = {
                cloudFileName: upload.cloudFileName,
                mimeType: upload.mimeType,
                appMetaData: upload.appMetaData,
                version: item.version,
                deleted: false,
                size: upload.size,
                sha256: upload.sha256,
                cloudObjectId,
                updatedAt: new Date(),
              };
              await tx.fileEntry.upsert({
                where: { userId_fileUUID: { userId: operation.userId, fileUUID: item.fileUUID } },
                create: { userId: operation.userId, fileUUID: item.fileUUID, ...entry },
                update: entry,
              });
              const replaced =
                previous?.cloudObjectId && previous.cloudObjectId !== cloudObjectId ? previous.cloudObjectId : null;
              await tx.operationItem.update({
                where: { operationId_fileUUID: { operationId: operation.id, fileUUID: item.fileUUID } },
                data: { state: "INDEXED", cloudObjectId, replacedObjectId: replaced, cloudUploadSession: null },
              });
              item.replacedObjectId = replaced;
              await recordFileProgress(tx, events, context, item.fileUUID, item.version, item.size, "UPLOAD");
            }),
        );
      } else {
        context.phase = `index deletion of ${item.fileUUID}`;
        await transactWithEvents(db, notifier, async (tx, events) => {
          await assertClaim(tx, operation.id, context.workerId);
          const previous = await tx.fileEntry.findUniqueOrThrow({
            where: { userId_fileUUID: { userId: operation.userId, fileUUID: item.fileUUID } },
          });
          await tx.fileEntry.update({
            where: { userId_fileUUID: { userId: operation.userId, fileUUID: item.fileUUID } },
            data: { deleted: true, cloudObjectId: null, updatedAt: new Date() },
          });
          await tx.operationItem.update({
            where: { operationId_fileUUID: { operationId: operation.id, fileUUID: item.fileUUID } },
            data: { state: "INDEXED", replacedObjectId: previous.cloudObjectId },
          });
          item.replacedObjectId = previous.cloudObjectId;
          await recordFileProgress(tx, events, context, item.fileUUID, item.version, 0n, "DELETE");
        });
      }
      crashPoint("outbound.afterIndexUpdate");
      item.state = "INDEXED";
    }
    if (item.state === "INDEXED") {
      // The change is committed: removing the object it replaced is cleanup. A removal that
      // a retry cannot fix does not fail the transfer; it is owed (owedRemovals.ts).
      let owed: OwedRemoval | null = null;
      if (item.replacedObjectId) {
        context.phase = `removal of the replaced cloud object of ${item.fileUUID}`;
        const error = await removeReplacedObject(cloud, operation.userId, item.replacedObjectId);
        if (error) {
          owed = {
            userId: operation.userId,
            objectId: item.replacedObjectId,
            fileUUID: item.fileUUID,
            operationId: operation.id,
            error,
          };
        } else {
          crashPoint("outbound.afterReplacedObjectRemoved");
        }
      }
      await db.$transaction(async (tx) => {
        await assertClaim(tx, operation.id, context.workerId);
        await tx.operationItem.update({
          where: { operationId_fileUUID: { operationId: operation.id, fileUUID: item.fileUUID } },
          data: { state: "DONE" },
        });
        if (owed) await recordOwedRemoval(tx, services, owed);
      });
      if (owed) {
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
      item.state = "DONE";
    }
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
  // Staged bytes are no longer needed; the staging sweeper removes any left by a crash here.
  for (const upload of uploads) await staging.removeUpload(upload.id);
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
