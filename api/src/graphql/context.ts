// The GraphQL context: the server's services and the authenticated caller.
// The caller is resolved once per request (or per WebSocket connection) by
// the authentication plugin; fields that need one call requireCaller.
import type { Caller } from "../auth/deviceTokens.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import type { Services } from "../services.ts";

export interface GraphQLContext {
  services: Services;
  caller: Caller | null;
  /** The device token as the request sent it (header or connection parameter), for the rate limits. */
  authorization: string | null;
  /** The base of this server's own URLs (http/publicBaseUrl.ts), to give absolute byte-plane URLs. */
  origin: string;
  /** The HTTP request, from graphql-yoga (none over WebSocket); its signal aborts when the client goes away. */
  request?: Request;
}

export function requireCaller(context: GraphQLContext): Caller {
  if (!context.caller) {
    throw new SmsyncError("UNAUTHENTICATED", "a valid device token is required (Authorization: Bearer ...)");
  }
  return context.caller;
}
