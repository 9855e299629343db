// The server half of a client's resetFromError: what the device left behind
// under its lock goes, so the next sync starts clean.
import type { Caller } from "../auth/deviceTokens.ts";
import type { Transaction } from "../database/client.ts";
import { abandonFailedBatches } from "../transfers/abandonedWrites.ts";

export interface ResetResult {
  releasedLock: boolean;
  discardedUploads: number;
  discardedDeletions: number;
}

export async function resetServerState(tx: Transaction, caller: Caller): Promise<ResetResult> {
  // Uncommitted work, and the batches of the device's failed transfers (a
  // reset gives up on resuming them).
  const failed = await tx.operation.findMany({
    where: { userId: caller.userId, deviceId: caller.deviceId, kind: "OUTBOUND", state: "FAILED" },
    select: { id: true },
  });
  const failedIds = failed.map((operation) => operation.id);
  await abandonFailedBatches(tx, caller.userId, failedIds);
  const mine = {
    userId: caller.userId,
    deviceId: caller.deviceId,
    OR: [{ operationId: null }, { operationId: { in: failedIds } }],
  };
  const { count: discardedUploads } = await tx.stagedUpload.deleteMany({ where: mine });
  const { count: discardedDeletions } = await tx.uploadDeletion.deleteMany({ where: mine });
  // A lock bound to a running transfer stays: the transfer releases it when it ends.
  const { count } = await tx.lock.updateMany({
    where: { userId: caller.userId, holderDeviceId: caller.deviceId, operationId: null },
    data: { holderDeviceId: null, expiresAt: null },
  });
  return { releasedLock: count === 1, discardedUploads, discardedDeletions };
}
