// Steps shared by the outbound and inbound transfers, each run inside the
// transaction of the step that calls it.
import type { Transaction } from "../database/client.ts";
import type { EventBatch } from "../events/eventLog.ts";
import { releaseLockOfTransfer } from "../locks/locks.ts";
import { assertClaim } from "./TransferClaim.ts";
import type { TransferContext } from "./TransferContext.ts";

export interface FileProgress {
  fileUUID: string;
  version: number;
  bytes: bigint;
  action: string;
}

/**
 * Files done: the operation's counters once, and a FILE_TRANSFERRED event
 * a file (clients follow them), each carrying the counters as of that file.
 */
export async function recordFilesProgress(
  tx: Transaction,
  events: EventBatch,
  context: TransferContext,
  files: FileProgress[],
): Promise<void> {
  if (files.length === 0) return;
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0n);
  const op = await tx.operation.update({
    where: { id: context.operation.id },
    data: { filesDone: { increment: files.length }, bytesDone: { increment: bytes } },
  });
  let filesDone = op.filesDone - files.length;
  let bytesDone = op.bytesDone - bytes;
  await events.appendMany(
    files.map((file) => {
      filesDone += 1;
      bytesDone += file.bytes;
      return {
        userId: op.userId,
        operationId: op.id,
        type: "FILE_TRANSFERRED" as const,
        payload: {
          fileUUID: file.fileUUID,
          version: file.version,
          action: file.action,
          bytes: Number(file.bytes),
          filesDone,
          filesTotal: op.filesTotal,
          bytesDone: Number(bytesDone),
          bytesTotal: Number(op.bytesTotal),
        },
      };
    }),
  );
}

/** The last step: SUCCEEDED, the claim and the lock released, the SUCCEEDED event. */
export async function markSucceeded(tx: Transaction, events: EventBatch, context: TransferContext): Promise<void> {
  const { operation } = context;
  await assertClaim(tx, operation.id, context.workerId);
  await tx.operation.update({
    where: { id: operation.id },
    // The errors of attempts that were retried stay in the event log; a success carries none.
    data: {
      state: "SUCCEEDED",
      finishedAt: new Date(),
      claimedBy: null,
      claimExpiresAt: null,
      failedPhase: null,
      errorCode: null,
      errorMessage: null,
      waitingSince: null,
    },
  });
  await releaseLockOfTransfer(tx, operation.userId, operation.id, operation.fencingToken);
  await events.append({
    userId: operation.userId,
    operationId: operation.id,
    type: "OPERATION_STATE",
    payload: { state: "SUCCEEDED" },
  });
}
