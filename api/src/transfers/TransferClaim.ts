// A worker's claim on an operation: a lease in the operation row. While the
// claim is live no other worker (in this or another server instance) runs
// the operation; a worker that dies stops renewing, and once the claim
// expires a live worker takes the operation over.
import type { Database, Transaction } from "../database/client.ts";
import { executeInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import type { Clock } from "../time/clock.ts";
import { runnableStates } from "./states.ts";

export class ClaimLostError extends Error {
  override name = "ClaimLostError";
}

export async function claimNextOperation(
  db: Database,
  clock: Clock,
  workerId: string,
  claimSeconds: number,
  exclude: Set<string>,
) {
  const now = clock.now();
  const candidates = await db.operation.findMany({
    where: {
      state: { in: runnableStates },
      nextAttemptAt: { lte: now },
      OR: [{ claimExpiresAt: null }, { claimExpiresAt: { lt: now } }],
      NOT: { id: { in: [...exclude] } },
    },
    orderBy: { nextAttemptAt: "asc" },
    take: 10,
  });
  for (const candidate of candidates) {
    // A claim left to expire (a worker killed, or stalled past its lease) was
    // a run cut short: it counts as an attempt, which that worker never got to
    // record. A worker that stops cleanly releases its claim and spends none.
    const attempts = candidate.attempts + (candidate.claimedBy !== null ? 1 : 0);
    const claimed = await db.$transaction(async (tx) => {
      const { count } = await tx.operation.updateMany({
        where: {
          id: candidate.id,
          claimedBy: candidate.claimedBy,
          claimExpiresAt: candidate.claimExpiresAt,
          state: { in: runnableStates },
        },
        data: { claimedBy: workerId, claimExpiresAt: new Date(clock.now().getTime() + claimSeconds * 1000), attempts },
      });
      return count === 1;
    });
    if (claimed) return { ...candidate, attempts };
  }
  return null;
}

/**
 * Inside a transfer's transaction: proves the worker still holds its claim, or aborts the transaction.
 * The proof is a write to the operation row, not a read: on PostgreSQL (read committed) a read would
 * let another worker's claim commit between this check and the step's commit, and both workers would
 * do the step. The write locks the row until the step commits, so a concurrent claim waits for it and
 * then finds the row changed (or this check waits for the claim and then finds it lost).
 */
export async function assertClaim(tx: Transaction, operationId: string, workerId: string): Promise<void> {
  // Raw (transactionRaw.ts): every step of every transfer runs it. updatedAt as Prisma's @updatedAt would set it.
  const count = await executeInTransaction(
    tx,
    Prisma.sql`UPDATE "Operation" SET "claimedBy" = ${workerId}, "updatedAt" = ${new Date()}
      WHERE "id" = ${operationId} AND "claimedBy" = ${workerId}`,
  );
  if (count !== 1) throw new ClaimLostError(`worker ${workerId} lost its claim on ${operationId}`);
}

export async function renewClaim(
  db: Database,
  now: Date,
  operationId: string,
  workerId: string,
  claimSeconds: number,
): Promise<boolean> {
  const { count } = await db.$transaction((tx) =>
    tx.operation.updateMany({
      where: { id: operationId, claimedBy: workerId },
      data: { claimExpiresAt: new Date(now.getTime() + claimSeconds * 1000) },
    }),
  );
  return count === 1;
}
