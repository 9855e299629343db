// Cloud writes of given-up batches. An outbound transfer can fail at an
// UPLOAD item whose cloud write took effect although its answer was an error
// (a permanent failure after the cloud kept the object, a cut answer). While
// the batch can be resumed, its next write finds that object by key and
// reuses it. Once a later grant or a reset gives the batch up, nothing will:
// the object's id was never learned, the index never pointed at it, and the
// device may never write that version again (it deleted the file, another
// device's change came first). Such writes are recorded when the batch is
// given up (AbandonedCloudWrite) and removed by the transfer worker, found by
// key, when it is idle and once at start.
//
// A removal must never delete an object a live write of the same (fileUUID,
// version) has found or written: the device that redoes the batch writes the
// same version again, and the cloud write is idempotent by key. So the two
// meet in the database first: a removal claims the row (a lease, as a
// transfer's claim) before it looks in the cloud, and a write takes the row
// over (deletes it) before it writes, waiting while a removal holds a live
// claim. Either the write took the row first (the removal's claim or its
// re-check before deleting finds it gone, and it leaves the object alone), or
// the removal claimed it first (the write waits until the removal is done).
import { setTimeout as sleep } from "node:timers/promises";
import type { CloudObjectKey } from "../cloud/CloudStorage.ts";
import { readOnlyRaw, type Database, type Transaction } from "../database/client.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { chunksOf, filesPerStatement } from "../database/statementChunks.ts";
import type { Services } from "../services.ts";
import type { Clock } from "../time/clock.ts";
import { transferRetryDelayMs } from "./backoff.ts";

/** Removals per pass; the worker's next idle pass takes the rest. */
const removalsPerPass = 50;
/** How often a write waiting for a removal's claim looks again. */
const claimPollMs = 100;

/**
 * Gives up failed outbound transfers: their UPLOAD items that never reached
 * the index go ABANDONED, and the write each may have made is recorded for
 * removal. Runs inside the transaction that discards the batches' staging.
 */
export async function abandonFailedBatches(tx: Transaction, userId: string, operationIds: string[]): Promise<void> {
  if (operationIds.length === 0) return;
  const unindexed = { operationId: { in: operationIds }, action: "UPLOAD", state: "PENDING" };
  const items = await tx.operationItem.findMany({
    where: unindexed,
    select: { operationId: true, fileUUID: true, version: true },
  });
  if (items.length === 0) return;
  await tx.operationItem.updateMany({ where: unindexed, data: { state: "ABANDONED" } });
  const nextAttemptAt = new Date();
  for (const item of items) {
    const key = { userId, fileUUID: item.fileUUID, version: item.version };
    // Two batches given up that both wrote this version: one row removes the one object the key names.
    await tx.abandonedCloudWrite.upsert({
      where: { userId_fileUUID_version: key },
      create: { ...key, operationId: item.operationId, nextAttemptAt },
      update: {},
    });
  }
}

/**
 * Before a transfer writes a chunk of (fileUUID, version) keys of a user:
 * takes over the abandoned writes of those keys, if any, so that no removal
 * deletes what these writes find or write. Nearly always there are none, and
 * one read says so. Waits while a removal holds a live claim on one (a
 * removal is one cloud call); a claim left to expire is taken over. Returns
 * the fileUUIDs taken over: the cloud may hold an object of those keys,
 * which their writes must look for.
 */
export async function takeOverAbandonedWrites(
  db: Database,
  clock: Clock,
  userId: string,
  keys: Omit<CloudObjectKey, "userId">[],
  checkNotStopped: () => void,
): Promise<Set<string>> {
  // Every row seen was deleted, by this take-over or by the removal that held its claim (then the object is gone).
  const taken = new Set<string>();
  for (const chunk of chunksOf(keys, filesPerStatement / 2)) {
    for (;;) {
      checkNotStopped();
      // Read outside a transaction: a row that a give-up adds after this read is one this transfer's
      // batch is not part of (its batch holds the lock), as when the read began a transaction of its own.
      // Raw (readOnlyRaw): it runs for every chunk of every transfer, and nearly always finds nothing.
      const versions = new Map(chunk.map((key) => [key.fileUUID, key.version]));
      const rows = (
        await readOnlyRaw<{ fileUUID: string; version: number | bigint }>(
          db,
          Prisma.sql`SELECT "fileUUID", "version" FROM "AbandonedCloudWrite"
            WHERE "userId" = ${userId} AND "fileUUID" IN (${Prisma.join([...versions.keys()])})`,
        )
      )
        .map((row) => ({ fileUUID: row.fileUUID, version: Number(row.version) }))
        .filter((row) => versions.get(row.fileUUID) === row.version);
      if (rows.length === 0) break;
      for (const row of rows) taken.add(row.fileUUID);
      // Deleted only while unclaimed (or its claim expired), checked in the delete itself: on PostgreSQL a
      // removal may claim a row between the read and the delete, and then this write must wait for it.
      const { count } = await db.$transaction((tx) =>
        tx.abandonedCloudWrite.deleteMany({
          where: {
            userId,
            fileUUID: { in: rows.map((row) => row.fileUUID) }, // found by the primary key, not by reading all the user's
            OR: rows.map((row) => ({ fileUUID: row.fileUUID, version: row.version })),
            AND: { OR: [{ claimedBy: null }, { claimExpiresAt: { lt: clock.now() } }] },
          },
        }),
      );
      if (count === rows.length) break;
      await sleep(claimPollMs);
    }
  }
  return taken;
}

/** takeOverAbandonedWrites for one key: true when it took one over. */
export async function takeOverAbandonedWrite(
  db: Database,
  clock: Clock,
  key: CloudObjectKey,
  checkNotStopped: () => void,
): Promise<boolean> {
  return (await takeOverAbandonedWrites(db, clock, key.userId, [key], checkNotStopped)).size > 0;
}

/**
 * Removes the abandoned writes that are due (all of them with `all`, as at
 * start), each under a claim. An object the index points at is left alone
 * (a write of the key finished before the batch was given up), as is an
 * object already gone (removing a missing object succeeds). Returns how many rows were settled and how many
 * failed and wait longer.
 */
export async function removeAbandonedWrites(
  services: Services,
  workerId: string,
  options: { all?: boolean; signal?: AbortSignal } = {},
): Promise<{ removed: number; failed: number }> {
  const { db, cloud, config, logger, clock } = services;
  const now = clock.now();
  const unclaimed = { OR: [{ claimedBy: null }, { claimExpiresAt: { lt: now } }] };
  const due = await db.abandonedCloudWrite.findMany({
    where: options.all ? unclaimed : { ...unclaimed, nextAttemptAt: { lte: now } },
    orderBy: { nextAttemptAt: "asc" },
    take: removalsPerPass,
  });
  let removed = 0;
  let failed = 0;
  for (const row of due) {
    if (options.signal?.aborted) break;
    const key = { userId: row.userId, fileUUID: row.fileUUID, version: row.version };
    const where = { ...key, claimedBy: row.claimedBy, claimExpiresAt: row.claimExpiresAt };
    const claimExpiresAt = new Date(clock.now().getTime() + config.transferClaimSeconds * 1000);
    const claimed = await db.$transaction((tx) =>
      tx.abandonedCloudWrite.updateMany({ where, data: { claimedBy: workerId, claimExpiresAt } }),
    );
    if (claimed.count !== 1) continue; // a write took it over, or another worker claimed it
    const mine = { ...key, claimedBy: workerId };
    try {
      const object = await cloud.findObject(key);
      if (object) {
        const entry = await db.fileEntry.findUnique({
          where: { userId_fileUUID: { userId: row.userId, fileUUID: row.fileUUID } },
        });
        const indexed = entry?.cloudObjectId === object.objectId;
        // Still ours just before the delete: a write that took the row over meanwhile owns the object.
        const stillClaimed = await db.$transaction((tx) =>
          tx.abandonedCloudWrite.updateMany({ where: mine, data: { claimedBy: workerId } }),
        );
        if (stillClaimed.count !== 1) continue;
        if (!indexed) {
          await cloud.deleteObject(row.userId, object.objectId);
          logger.info(
            { ...key, objectId: object.objectId, operationId: row.operationId },
            "removed the cloud object of a given-up write",
          );
        }
      }
      await db.$transaction((tx) => tx.abandonedCloudWrite.deleteMany({ where: mine }));
      removed++;
    } catch (error) {
      const attempts = row.attempts + 1;
      const nextAttemptAt = new Date(clock.now().getTime() + transferRetryDelayMs(attempts, config));
      const lastError = error instanceof Error ? error.message : String(error);
      await db.$transaction((tx) =>
        tx.abandonedCloudWrite.updateMany({
          where: mine,
          data: { attempts, nextAttemptAt, lastError, claimedBy: null, claimExpiresAt: null },
        }),
      );
      logger.warn(
        { ...key, operationId: row.operationId, attempts, err: error },
        "removing the cloud object of a given-up write failed; will retry",
      );
      failed++;
    }
  }
  return { removed, failed };
}
