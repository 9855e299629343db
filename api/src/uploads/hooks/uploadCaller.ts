// Who sends a tus request, and the uploads they may touch: their own (another
// user's upload looks the same as a missing one).
import type { Caller } from "../../auth/deviceTokens.ts";
import { authenticateRequest } from "../../auth/requestCaller.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
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
