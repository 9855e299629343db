// Who sends a tus request, and the uploads they may touch: their own (another
// user's upload looks the same as a missing one); and to write one (PATCH,
// DELETE), the lock grant it was created under, held by the caller now.
import type { Caller } from "../../auth/deviceTokens.ts";
import { authenticateRequest } from "../../auth/requestCaller.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import { readCommittedLock, refuseUnlessGrantHolder } from "../../locks/locks.ts";
import type { Services } from "../../services.ts";

export async function requireCaller(services: Services, authorization: string | null | undefined): Promise<Caller> {
  const caller = await authenticateRequest(services, authorization);
  if (!caller) throw new SmsyncError("UNAUTHENTICATED", "a valid device token is required (Authorization: Bearer ...)");
  return caller;
}

/** The caller's upload row: NOT_FOUND for another user's. */
export async function requireOwnUpload(services: Services, authorization: string | null, uploadId: string) {
  const caller = await requireCaller(services, authorization);
  const row = await services.db.stagedUpload.findUnique({ where: { id: uploadId } });
  if (!row || row.userId !== caller.userId) throw new SmsyncError("NOT_FOUND", `no upload ${uploadId}`);
  return row;
}

/**
 * The caller's upload row, if the caller may write it: its device holds the
 * user's lock now, under the fencing token the upload was created under
 * (LOCK_REQUIRED, STALE_FENCING_TOKEN); NOT_FOUND for a missing upload or
 * another user's. Reads only (a large file is many PATCHes): the lock as
 * committed, as a write checked at its start; a grant lost during a long
 * PATCH discards the upload's row anyway (locks.ts), and its bytes are swept.
 */
export async function requireWritableUpload(services: Services, authorization: string | null, uploadId: string) {
  const caller = await requireCaller(services, authorization);
  const [lock, row] = await Promise.all([
    readCommittedLock(services.db, caller.userId),
    services.db.stagedUpload.findUnique({ where: { id: uploadId } }),
  ]);
  const own = row?.userId === caller.userId ? row : null;
  // Without the lock, a missing upload is refused as the caller's own would be: 423.
  refuseUnlessGrantHolder(
    lock ?? { holderDeviceId: null, fencingToken: 0 },
    caller,
    own?.fencingToken ?? lock?.fencingToken ?? 0,
  );
  if (!own) throw new SmsyncError("NOT_FOUND", `no upload ${uploadId}`);
  return own;
}
