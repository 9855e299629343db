// The answer to a request over its limits: 429 with Retry-After, and a body
// the caller's plane understands: GraphQL's errors on /graphql, the byte
// planes' {code, message} elsewhere, both with code RATE_LIMITED and
// retryAfterSeconds. Readable by an allowed browser origin like any answer.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/config.ts";
import { isOriginAllowed } from "../http/cors.ts";
import type { Refusal } from "./RequestLimits.ts";

const limitNames: Record<Refusal["limit"], string> = {
  address: "this address",
  device: "this device",
  user: "this user",
  inFlight: "this device (requests in progress)",
};

export function answerRefused(config: Config, req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const { retryAfterSeconds } = refusal;
  const message = `too many requests from ${limitNames[refusal.limit]}: retry in ${retryAfterSeconds}s`;
  const details = { code: "RATE_LIMITED", retryAfterSeconds, limit: refusal.limit };
  const pathname = (req.url ?? "/").replace(/\?.*/s, "");
  const body = pathname === "/graphql" ? { errors: [{ message, extensions: details }] } : { ...details, message };
  const origin = req.headers.origin;
  if (isOriginAllowed(config.corsOrigins, origin)) {
    res.setHeader("Access-Control-Allow-Origin", origin!);
    res.setHeader("Access-Control-Expose-Headers", "Retry-After");
    res.setHeader("Vary", "Origin");
  }
  // The request's body is not read: the connection closes after the answer rather than drain it.
  res.writeHead(429, {
    "Content-Type": "application/json",
    "Retry-After": String(Math.ceil(retryAfterSeconds)),
    Connection: "close",
  });
  res.end(JSON.stringify(body));
}
