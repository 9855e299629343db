// Steps shared by the outbound and inbound transfers, each run inside the
// transaction of the step that calls it.
import type { Transaction } from "../database/client.ts";
import type { EventBatch } from "../events/eventLog.ts";
import { releaseLockOfTransfer } from "../locks/locks.ts";
import { assertClaim } from "./TransferClaim.ts";
import type { TransferContext } from "./TransferContext.ts";

/** One file done: the operation's counters and a FILE_TRANSFERRED event. */
export async function recordFileProgress(
  tx: Transaction,
  events: EventBatch,
  context: TransferContext,
  fileUUID: string,
  version: number,
  bytes: bigint,
  action: string,
): Promise<void> {
  const op = await tx.operation.update({
    where: { id: context.operation.id },
    data: { filesDone: { increment: 1 }, bytesDone: { increment: bytes } },
  });
  await events.append({
    userId: op.userId,
    operationId: op.id,
    type: "FILE_TRANSFERRED",
    payload: {
      fileUUID,
      version,
      action,
      bytes: Number(bytes),
      filesDone: op.filesDone,
      filesTotal: op.filesTotal,
      bytesDone: Number(op.bytesDone),
      bytesTotal: Number(op.bytesTotal),
    },
  });
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
