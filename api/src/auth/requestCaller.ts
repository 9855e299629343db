// The caller of a request, from its device token; the rate limits learn which
// user the token belongs to, so its next requests count against that user's
// limit too (limits/RequestLimits.ts).
import type { Services } from "../services.ts";
import { authenticate, tokenOfAuthorization, type Caller } from "./deviceTokens.ts";

export async function authenticateRequest(
  services: Services,
  authorization: string | null | undefined,
): Promise<Caller | null> {
  const caller = await authenticate(services.db, authorization);
  if (caller) services.requestLimits.learnCaller(tokenOfAuthorization(authorization)!, caller);
  return caller;
}
