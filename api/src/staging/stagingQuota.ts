// The per-user staging quota (SMSYNC_STAGING_QUOTA_BYTES): the declared
// lengths of a user's staged, uncommitted uploads, tus and batch alike, may
// not pass it. A creation is checked before anything is written, in the
// transaction that takes the user's lock row (requireIdleLock), so one
// user's creations are decided one at a time: on PostgreSQL the lock row's
// upsert holds its row lock until commit, on SQLite every write transaction
// runs alone. (A batch records its rows after its bytes, so two batches of
// one user sent at once may each pass with the other's bytes not yet
// recorded: by at most one batch, SMSYNC_BATCH_MAX_BYTES, each.)
//
// Uncommitted uploads are those of the current grant only (a new grant
// discards the others, locks.ts): the quota bounds what one lock grant
// stages before its commit, and a commit or an unlock frees it. Its default,
// twice the largest upload, takes that upload beside others, and keeps a
// user from filling the shared staging disk (200 uploads of 5 GiB were
// accepted under one lock before it).
import type { Transaction } from "../database/client.ts";
import { chunksOf } from "../database/statementChunks.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";

/** An upload a request stages: a new one, or one replacing an uncommitted upload of the same version. */
export interface StagingUpload {
  fileUUID: string;
  version: number;
  size: number;
}

/** Throws STAGING_QUOTA_EXCEEDED when staging `uploads` would pass the user's quota. */
export async function requireStagingRoom(
  tx: Transaction,
  userId: string,
  quotaBytes: number,
  uploads: readonly StagingUpload[],
): Promise<void> {
  const uncommitted = { userId, operationId: null };
  const { _sum } = await tx.stagedUpload.aggregate({ _sum: { size: true }, where: uncommitted });
  let staged = _sum.size ?? 0n;
  // The uploads these replace no longer count.
  const versions = new Map(uploads.map((upload) => [upload.fileUUID, upload.version]));
  for (const chunk of chunksOf([...versions.keys()])) {
    const rows = await tx.stagedUpload.findMany({
      where: { ...uncommitted, fileUUID: { in: chunk } },
      select: { fileUUID: true, version: true, size: true },
    });
    for (const row of rows) if (versions.get(row.fileUUID) === row.version) staged -= row.size;
  }
  const adding = uploads.reduce((sum, upload) => sum + BigInt(upload.size), 0n);
  if (staged + adding > BigInt(quotaBytes)) {
    throw new SmsyncError(
      "STAGING_QUOTA_EXCEEDED",
      `staging ${adding} more bytes would pass this user's staging quota of ${quotaBytes} bytes (${staged} staged and uncommitted): commit or unlock first`,
      { quotaBytes, stagedBytes: Number(staged) },
    );
  }
}
