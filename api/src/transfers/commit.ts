// commit: closes the caller's batch of staged uploads and upload-deletions
// into an outbound transfer, which the worker runs asynchronously.
import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/deviceTokens.ts";
import type { Transaction } from "../database/client.ts";
import { queryInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import type { EventBatch } from "../events/eventLog.ts";
import { bindLockToTransfer, requireLock } from "../locks/locks.ts";
import { createOperationItems } from "./operationItems.ts";
import { loadOperationView, type OperationView } from "./operationView.ts";

/** What the commit needs of a staged upload, as either driver returns it (sqliteRaw.ts). */
interface RawBatchUpload {
  id: string;
  fileUUID: string;
  version: number | bigint;
  state: string;
  size: number | bigint;
  sha256: string;
}

export async function commit(
  tx: Transaction,
  events: EventBatch,
  caller: Caller,
  fencingToken: number,
): Promise<OperationView> {
  const scope = { userId: caller.userId, deviceId: caller.deviceId, kind: "OUTBOUND", fencingToken };

  // Committed already under this grant: the same operation. Running or done,
  // it is returned whatever became of the lock since (a transfer that
  // succeeded released it); a failed one is resumed, which needs the lock.
  const existing = await tx.operation.findFirst({ where: scope, orderBy: { createdAt: "desc" } });
  if (existing && existing.state !== "FAILED") return (await loadOperationView(tx, caller.userId, existing.id))!;
  const lock = await requireLock(tx, caller, fencingToken);
  if (existing) {
    await tx.operation.update({
      where: { id: existing.id },
      data: {
        state: "NOT_STARTED",
        attempts: 0,
        nextAttemptAt: new Date(),
        failedPhase: null,
        errorCode: null,
        errorMessage: null,
        finishedAt: null,
      },
    });
    await bindLockToTransfer(tx, caller.userId, existing.id);
    await events.append({
      userId: caller.userId,
      operationId: existing.id,
      type: "OPERATION_STATE",
      payload: { state: "NOT_STARTED", resumed: true },
    });
    return (await loadOperationView(tx, caller.userId, existing.id))!;
  }
  if (lock.operationId) {
    throw new SmsyncError("TRANSFER_IN_PROGRESS", `transfer ${lock.operationId} holds the lock until it ends`, {
      operationId: lock.operationId,
    });
  }

  const batch = { userId: caller.userId, deviceId: caller.deviceId, fencingToken, operationId: null };
  // Raw (transactionRaw.ts): Prisma's mapping of every column of a batch of a thousand rows cost more CPU than
  // the rest of the commit. In the order Prisma's orderBy gives (the column's collation, on either database).
  const uploads = (
    await queryInTransaction<RawBatchUpload>(
      tx,
      Prisma.sql`SELECT "id", "fileUUID", "version", "state", "size", "sha256" FROM "StagedUpload"
        WHERE "userId" = ${batch.userId} AND "deviceId" = ${batch.deviceId}
          AND "fencingToken" = ${batch.fencingToken} AND "operationId" IS NULL
        ORDER BY "fileUUID" ASC`,
    )
  ).map((row) => ({ ...row, version: Number(row.version), size: BigInt(row.size) }));
  const deletions = await tx.uploadDeletion.findMany({ where: batch, orderBy: { fileUUID: "asc" } });
  const incomplete = uploads.filter((upload) => upload.state !== "COMPLETE");
  if (incomplete.length > 0) {
    throw new SmsyncError(
      "UPLOAD_INCOMPLETE",
      `${incomplete.length} staged upload(s) have not received all their bytes: ${incomplete.map((u) => u.fileUUID).join(", ")}`,
      { fileUUIDs: incomplete.map((upload) => upload.fileUUID) },
    );
  }
  if (uploads.length === 0 && deletions.length === 0) {
    throw new SmsyncError("NOTHING_TO_COMMIT", "there are no staged uploads or upload-deletions to commit");
  }

  const operationId = randomUUID();
  const bytesTotal = uploads.reduce((sum, upload) => sum + upload.size, 0n);
  await tx.operation.create({
    data: {
      id: operationId,
      ...scope,
      state: "NOT_STARTED",
      nextAttemptAt: new Date(),
      filesTotal: uploads.length + deletions.length,
      bytesTotal,
    },
  });
  await createOperationItems(tx, operationId, [
    ...uploads.map((upload) => ({
      fileUUID: upload.fileUUID,
      version: upload.version,
      action: "UPLOAD",
      state: "PENDING",
      stagedUploadId: upload.id,
      size: upload.size,
      sha256: upload.sha256,
    })),
    ...deletions.map((deletion) => ({
      fileUUID: deletion.fileUUID,
      version: deletion.version,
      action: "DELETE",
      state: "PENDING",
      size: 0n,
      sha256: "",
    })),
  ]);
  // The batch's filter rather than a list of ids: a batch may hold more uploads than a statement can bind.
  await tx.stagedUpload.updateMany({ where: batch, data: { state: "COMMITTED", operationId } });
  await tx.uploadDeletion.updateMany({ where: batch, data: { operationId } });
  await bindLockToTransfer(tx, caller.userId, operationId);
  await events.append({
    userId: caller.userId,
    operationId,
    type: "OPERATION_STATE",
    payload: { state: "NOT_STARTED" },
  });
  return (await loadOperationView(tx, caller.userId, operationId))!;
}
