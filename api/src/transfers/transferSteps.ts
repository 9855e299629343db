// Steps shared by the outbound and inbound transfers, each run inside the
// transaction of the step that calls it.
import type { Transaction } from "../database/client.ts";
import { queryInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
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

/** The counters of an operation as either driver returns them (sqliteRaw.ts). */
interface CounterRow {
  id: string;
  userId: string;
  filesDone: number | bigint;
  filesTotal: number | bigint;
  bytesDone: number | bigint;
  bytesTotal: number | bigint;
}

/**
 * Files done: the operation's counters once, and one FILES_TRANSFERRED event
 * for them all (clients follow them), carrying the files and the counters
 * after them. One event a chunk rather than one a file: each event is a row
 * of the log and a message to every subscriber, which cost about as much
 * server CPU as the rest of a small file's transfer.
 */
export async function recordFilesProgress(
  tx: Transaction,
  events: EventBatch,
  context: TransferContext,
  files: FileProgress[],
): Promise<void> {
  if (files.length === 0) return;
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0n);
  // Raw (transactionRaw.ts): a chunk's statement, where Prisma's would cost more than the statement.
  const [row] = await queryInTransaction<CounterRow>(
    tx,
    Prisma.sql`UPDATE "Operation" SET "filesDone" = "filesDone" + ${files.length},
      "bytesDone" = "bytesDone" + ${bytes}, "updatedAt" = ${new Date()}
      WHERE "id" = ${context.operation.id}
      RETURNING "id", "userId", "filesDone", "filesTotal", "bytesDone", "bytesTotal"`,
  );
  if (!row) throw new Error(`operation ${context.operation.id} has no row`);
  await events.append({
    userId: row.userId,
    operationId: row.id,
    type: "FILES_TRANSFERRED",
    payload: {
      files: files.map((file) => ({
        fileUUID: file.fileUUID,
        version: file.version,
        action: file.action,
        bytes: Number(file.bytes),
      })),
      filesDone: Number(row.filesDone),
      filesTotal: Number(row.filesTotal),
      bytesDone: Number(row.bytesDone),
      bytesTotal: Number(row.bytesTotal),
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
