// Removals of cloud objects that are owed: an outbound transfer replaced (or
// deleted) a file's object, committed the index, and then failed to remove
// the old object with an error a retry of the transfer cannot fix. Removing
// it is cleanup, not part of the user's change: the transfer goes on and
// succeeds, and the removal is recorded (OwedCloudRemoval, in the
// transaction that marks the item DONE) and retried by the transfer worker
// when idle, with backoff per removal, and at start, until it succeeds.
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import type { CloudStorage } from "../cloud/CloudStorage.ts";
import type { Transaction } from "../database/client.ts";
import type { Services } from "../services.ts";
import { transferRetryDelayMs } from "./backoff.ts";

/** Removals retried per pass; the next pass (the worker's next idle poll) takes the rest. */
const removalsPerPass = 50;

/**
 * Removes an object an outbound transfer replaced. Returns null once it is
 * gone (already gone counts), or the error of a removal that must be owed
 * (one that a retry of the transfer cannot fix). A retryable failure is
 * thrown: the transfer step retries, as for any other cloud call.
 */
export async function removeReplacedObject(
  cloud: CloudStorage,
  userId: string,
  objectId: string,
): Promise<CloudStorageError | null> {
  try {
    await cloud.deleteObject(userId, objectId);
    return null;
  } catch (error) {
    if (!(error instanceof CloudStorageError) || error.retryable) throw error;
    if (error.kind === "notFound") return null;
    return error;
  }
}

export interface OwedRemoval {
  userId: string;
  objectId: string;
  fileUUID: string;
  operationId: string;
  error: unknown;
}

/** Records a removal as owed, inside the transaction that marks its item DONE. */
export async function recordOwedRemoval(tx: Transaction, services: Services, owed: OwedRemoval): Promise<void> {
  const { config, clock } = services;
  const nextAttemptAt = new Date(clock.now().getTime() + transferRetryDelayMs(1, config));
  const lastError = errorMessage(owed.error);
  await tx.owedCloudRemoval.upsert({
    where: { userId_objectId: { userId: owed.userId, objectId: owed.objectId } },
    create: {
      userId: owed.userId,
      objectId: owed.objectId,
      fileUUID: owed.fileUUID,
      operationId: owed.operationId,
      attempts: 1,
      nextAttemptAt,
      lastError,
    },
    update: { attempts: { increment: 1 }, nextAttemptAt, lastError },
  });
}

/**
 * Retries the owed removals that are due (all of them with `all`, as at
 * start). A removal that succeeds (or finds the object gone) is no longer
 * owed; one that fails again waits longer. Returns how many were removed
 * and how many failed.
 */
export async function retryOwedRemovals(
  services: Services,
  options: { all?: boolean; signal?: AbortSignal } = {},
): Promise<{ removed: number; failed: number }> {
  const { db, cloud, config, logger, clock } = services;
  const now = () => clock.now();
  const due = await db.owedCloudRemoval.findMany({
    where: options.all ? {} : { nextAttemptAt: { lte: now() } },
    orderBy: { nextAttemptAt: "asc" },
    take: removalsPerPass,
  });
  let removed = 0;
  let failed = 0;
  for (const owed of due) {
    if (options.signal?.aborted) break;
    const key = { userId: owed.userId, objectId: owed.objectId };
    try {
      await cloud.deleteObject(owed.userId, owed.objectId);
    } catch (error) {
      if (!(error instanceof CloudStorageError && error.kind === "notFound")) {
        const attempts = owed.attempts + 1;
        const nextAttemptAt = new Date(now().getTime() + transferRetryDelayMs(attempts, config));
        await db.$transaction((tx) =>
          tx.owedCloudRemoval.updateMany({
            where: key,
            data: { attempts, nextAttemptAt, lastError: errorMessage(error) },
          }),
        );
        logger.warn(
          { userId: owed.userId, fileUUID: owed.fileUUID, objectId: owed.objectId, attempts, err: error },
          "removing a replaced cloud object failed again; still owed",
        );
        failed++;
        continue;
      }
    }
    await db.$transaction((tx) => tx.owedCloudRemoval.deleteMany({ where: key }));
    logger.info(
      { userId: owed.userId, fileUUID: owed.fileUUID, objectId: owed.objectId, attempts: owed.attempts + 1 },
      "removed an owed cloud object",
    );
    removed++;
  }
  return { removed, failed };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
