// The user's lock: a lease with a TTL that its holder renews, and a fencing
// token that grows with every grant to a new holder. Writes check the token
// in the same transaction as the write, so a holder whose lease expired and
// was taken over is rejected even if it does not know it lost the lock.
//
// States (one row per user, see prisma/models.prisma Lock):
//   free        holderDeviceId = null
//   leased      holder set, expiresAt in the future (or past: expired)
//   transfer    operationId set: a commit or inbound transfer holds the
//               lock until the transfer ends; the lease does not expire.
import type { Caller } from "../auth/deviceTokens.ts";
import { readOnlyRaw, type Database, type Transaction } from "../database/client.ts";
import { executeInTransaction, queryInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { abandonFailedBatches } from "../transfers/abandonedWrites.ts";
import { lockRetrySeconds } from "./LockLine.ts";

export interface LockGrant {
  fencingToken: number;
  expiresAt: string;
  heldPreviously: boolean;
  operationId: string | null;
}

type LockRow = NonNullable<Awaited<ReturnType<Transaction["lock"]["findUnique"]>>>;

// The lock row is read and written by every lock, renewal, commit and
// transfer: raw (transactionRaw.ts), its rows normalized from each driver's types.
const lockColumns = Prisma.sql`"userId", "holderDeviceId", "fencingToken", "expiresAt", "operationId", "grantedAt"`;

type RawDate = Date | string | number | null;
interface RawLockRow extends Omit<LockRow, "fencingToken" | "expiresAt" | "grantedAt"> {
  fencingToken: number | bigint;
  expiresAt: RawDate;
  grantedAt: RawDate;
}

function dateOf(value: RawDate): Date | null {
  return value === null ? null : new Date(value);
}

function lockRowOf(row: RawLockRow): LockRow {
  return {
    ...row,
    fencingToken: Number(row.fencingToken),
    expiresAt: dateOf(row.expiresAt),
    grantedAt: dateOf(row.grantedAt),
  };
}

async function readLock(tx: Transaction, userId: string): Promise<LockRow> {
  // Touching the row first serializes concurrent lock calls of one user on
  // PostgreSQL (row lock until commit); SQLite serializes all writers anyway.
  // The upsert answers with the row as it is now: no second query to read it.
  const [row] = await queryInTransaction<RawLockRow>(
    tx,
    Prisma.sql`INSERT INTO "Lock" ("userId") VALUES (${userId})
      ON CONFLICT ("userId") DO UPDATE SET "userId" = excluded."userId" RETURNING ${lockColumns}`,
  );
  return lockRowOf(row!);
}

/** Sets `changes` on the user's lock row (when `condition` holds, if given); answers the row as written, if any. */
async function updateLock(
  tx: Transaction,
  userId: string,
  changes: Prisma.Sql,
  condition: Prisma.Sql = Prisma.empty,
): Promise<LockRow | null> {
  const [row] = await queryInTransaction<RawLockRow>(
    tx,
    Prisma.sql`UPDATE "Lock" SET ${changes} WHERE "userId" = ${userId}${condition} RETURNING ${lockColumns}`,
  );
  return row ? lockRowOf(row) : null;
}

async function updateHeldLock(tx: Transaction, userId: string, changes: Prisma.Sql): Promise<LockRow> {
  const row = await updateLock(tx, userId, changes);
  if (!row) throw new Error(`the lock row of user ${userId} is gone`);
  return row;
}

/** What decides whether the lock is held by another device. */
type Holding = Pick<LockRow, "holderDeviceId" | "operationId" | "expiresAt">;

function isLive(lock: Holding, now: Date): boolean {
  if (!lock.holderDeviceId) return false;
  if (lock.operationId) return true;
  return lock.expiresAt !== null && lock.expiresAt > now;
}

/** LOCK_HELD: the caller may ask again after retryAfterSeconds (LockLine.ts keeps its place meanwhile). */
export function lockHeld(retryAfterSeconds: number, why = "another device holds the lock"): SmsyncError {
  return new SmsyncError("LOCK_HELD", `${why}; retry in ${retryAfterSeconds}s`, { retryAfterSeconds });
}

/** Throws LOCK_HELD when another device holds the lock live. */
function refuseIfHeldByAnother(lock: Holding, caller: Caller, now: Date): void {
  if (lock.holderDeviceId === caller.deviceId || !isLive(lock, now)) return;
  throw lockHeld(lockRetrySeconds);
}

/** Who holds the lock as far as the caller is concerned. */
export type LockHolding = "caller" | "nobody" | "another";

/**
 * The lock's holding from what has committed, before any transaction:
 * devices waiting for the lock ask often, and deciding each refusal in a
 * transaction would take the writer (on SQLite, every other write waits for
 * it). A refusal writes nothing, so deciding it from a slightly earlier
 * committed state is the same as the call arriving slightly earlier; a lock
 * that looks free still goes through acquireLock's transaction, which decides
 * again.
 */
export async function lockHolding(db: Database, caller: Caller, now: Date): Promise<LockHolding> {
  const lock = await readCommittedLock(db, caller.userId);
  if (!lock) return "nobody";
  if (lock.holderDeviceId === caller.deviceId) return "caller";
  return isLive(lock, now) ? "another" : "nobody";
}

/** What decides whether a device holds a grant. */
type Grant = Pick<LockRow, "holderDeviceId" | "fencingToken">;

/**
 * The user's lock row as committed, by a read outside any transaction (none
 * if the user never locked): for the checks that must stay cheap, and whose
 * decision a slightly earlier committed state does not change.
 */
export async function readCommittedLock(db: Database, userId: string): Promise<(Holding & Grant) | null> {
  const [row] = await readOnlyRaw<Omit<RawLockRow, "userId" | "grantedAt">>(
    db,
    Prisma.sql`SELECT "holderDeviceId", "fencingToken", "operationId", "expiresAt" FROM "Lock" WHERE "userId" = ${userId}`,
  );
  // SQLite's raw rows carry a DateTime as text or a number, PostgreSQL's as a Date.
  return row ? { ...row, fencingToken: Number(row.fencingToken), expiresAt: dateOf(row.expiresAt) } : null;
}

/** Throws LOCK_REQUIRED or STALE_FENCING_TOKEN unless caller holds the lock under fencingToken. */
export function refuseUnlessGrantHolder(lock: Grant, caller: Caller, fencingToken: number): void {
  if (lock.holderDeviceId !== caller.deviceId) {
    if (fencingToken < lock.fencingToken) {
      throw new SmsyncError("STALE_FENCING_TOKEN", `fencing token ${fencingToken} is stale: the lock was lost`, {
        currentFencingToken: lock.fencingToken,
      });
    }
    throw new SmsyncError("LOCK_REQUIRED", "this device does not hold the lock: call lock first");
  }
  if (fencingToken !== lock.fencingToken) {
    throw new SmsyncError(
      "STALE_FENCING_TOKEN",
      `fencing token ${fencingToken} is not the current one (${lock.fencingToken})`,
      { currentFencingToken: lock.fencingToken },
    );
  }
}

function grantOf(lock: LockRow, heldPreviously: boolean, now: Date): LockGrant {
  return {
    fencingToken: lock.fencingToken,
    expiresAt: (lock.expiresAt ?? now).toISOString(),
    heldPreviously,
    operationId: lock.operationId,
  };
}

export async function acquireLock(tx: Transaction, caller: Caller, ttlSeconds: number, now: Date): Promise<LockGrant> {
  const lock = await readLock(tx, caller.userId);
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);

  if (lock.holderDeviceId === caller.deviceId) {
    // The holder asking again (a retry, or a renewal after its lease ran out
    // with nobody taking the lock over): same grant, same token.
    const renewed = await updateHeldLock(tx, caller.userId, Prisma.sql`"expiresAt" = ${expiresAt}`);
    return grantOf(renewed, true, now);
  }
  refuseIfHeldByAnother(lock, caller, now);
  const fencingToken = lock.fencingToken + 1;
  // Whatever an earlier holder staged under its grant can never be committed.
  await discardUncommittedStaging(tx, caller.userId, fencingToken);
  const granted = await updateHeldLock(
    tx,
    caller.userId,
    Prisma.sql`"holderDeviceId" = ${caller.deviceId}, "fencingToken" = ${fencingToken}, "expiresAt" = ${expiresAt},
      "grantedAt" = ${now}, "operationId" = ${null}`,
  );
  return grantOf(granted, false, now);
}

/** Checks that caller holds the lock under fencingToken; returns the lock row. */
export async function requireLock(tx: Transaction, caller: Caller, fencingToken: number): Promise<LockRow> {
  const lock = await readLock(tx, caller.userId);
  refuseUnlessGrantHolder(lock, caller, fencingToken);
  return lock;
}

/**
 * requireLock, and the grant's batch must be open for more work: no transfer
 * holding the lock, and no failed transfer of this grant waiting to be
 * resumed (its batch is closed; commit resumes it).
 */
export async function requireIdleLock(tx: Transaction, caller: Caller, fencingToken: number): Promise<LockRow> {
  const lock = await requireLock(tx, caller, fencingToken);
  if (lock.operationId) {
    throw new SmsyncError("TRANSFER_IN_PROGRESS", `transfer ${lock.operationId} holds the lock until it ends`, {
      operationId: lock.operationId,
    });
  }
  const [failed] = await queryInTransaction<{ id: string }>(
    tx,
    Prisma.sql`SELECT "id" FROM "Operation" WHERE "userId" = ${caller.userId} AND "deviceId" = ${caller.deviceId}
      AND "kind" = ${"OUTBOUND"} AND "fencingToken" = ${fencingToken} AND "state" = ${"FAILED"} LIMIT 1`,
  );
  if (failed) {
    throw new SmsyncError("TRANSFER_FAILED", `transfer ${failed.id} failed: commit again to resume it, or reset`, {
      operationId: failed.id,
    });
  }
  return lock;
}

export async function renewLock(
  tx: Transaction,
  caller: Caller,
  fencingToken: number,
  ttlSeconds: number,
  now: Date,
): Promise<LockGrant> {
  await requireLock(tx, caller, fencingToken);
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  return grantOf(await updateHeldLock(tx, caller.userId, Prisma.sql`"expiresAt" = ${expiresAt}`), true, now);
}

/** Returns false when the caller did not hold the lock (nothing to release). */
export async function releaseLock(tx: Transaction, caller: Caller, fencingToken: number): Promise<boolean> {
  const lock = await readLock(tx, caller.userId);
  if (lock.holderDeviceId !== caller.deviceId || lock.fencingToken !== fencingToken) return false;
  if (lock.operationId) {
    throw new SmsyncError("TRANSFER_IN_PROGRESS", `transfer ${lock.operationId} holds the lock until it ends`, {
      operationId: lock.operationId,
    });
  }
  await discardUncommittedStaging(tx, caller.userId, fencingToken + 1);
  await updateHeldLock(
    tx,
    caller.userId,
    Prisma.sql`"holderDeviceId" = ${null}, "expiresAt" = ${null}, "operationId" = ${null}`,
  );
  return true;
}

/** Binds the lock to a transfer: it is kept, without expiry, until the transfer ends. */
export async function bindLockToTransfer(tx: Transaction, userId: string, operationId: string): Promise<void> {
  await updateHeldLock(tx, userId, Prisma.sql`"operationId" = ${operationId}`);
}

/** A transfer ended: release the lock if it still holds it under its grant. */
export async function releaseLockOfTransfer(
  tx: Transaction,
  userId: string,
  operationId: string,
  fencingToken: number,
): Promise<void> {
  await updateLock(
    tx,
    userId,
    Prisma.sql`"holderDeviceId" = ${null}, "expiresAt" = ${null}, "operationId" = ${null}`,
    Prisma.sql` AND "operationId" = ${operationId} AND "fencingToken" = ${fencingToken}`,
  );
}

/** A transfer failed: its device keeps the lock under a fresh lease, to retry by committing again. */
export async function keepLockAfterFailedTransfer(
  tx: Transaction,
  userId: string,
  operationId: string,
  leaseSeconds: number,
  now: Date,
): Promise<void> {
  await updateLock(
    tx,
    userId,
    Prisma.sql`"operationId" = ${null}, "expiresAt" = ${new Date(now.getTime() + leaseSeconds * 1000)}`,
    Prisma.sql` AND "operationId" = ${operationId}`,
  );
}

/**
 * Drops what grants before `belowToken` staged and can no longer commit:
 * uploads and upload-deletions not committed, and those of failed outbound
 * transfers, which only their own grant could resume. (The files such a
 * transfer had already written stay, with the index pointing at them; a
 * write that took effect without reaching the index is removed later,
 * abandonedWrites.ts.)
 */
export async function discardUncommittedStaging(tx: Transaction, userId: string, belowToken: number): Promise<void> {
  // Raw (transactionRaw.ts): every lock grant and release runs this, and there is rarely anything to drop.
  const abandoned = await queryInTransaction<{ id: string }>(
    tx,
    Prisma.sql`SELECT "id" FROM "Operation" WHERE "userId" = ${userId} AND "kind" = ${"OUTBOUND"}
      AND "state" = ${"FAILED"} AND "fencingToken" < ${belowToken}`,
  );
  const operationIds = abandoned.map((operation) => operation.id);
  await abandonFailedBatches(tx, userId, operationIds);
  const stale = Prisma.sql`"userId" = ${userId} AND "fencingToken" < ${belowToken} AND ("operationId" IS NULL${
    operationIds.length > 0 ? Prisma.sql` OR "operationId" IN (${Prisma.join(operationIds)})` : Prisma.empty
  })`;
  await executeInTransaction(tx, Prisma.sql`DELETE FROM "StagedUpload" WHERE ${stale}`);
  await executeInTransaction(tx, Prisma.sql`DELETE FROM "UploadDeletion" WHERE ${stale}`);
}
