// The answer to a request over its limits: 429 with Retry-After, and a body
// the caller's plane understands: GraphQL's errors on /graphql, the byte
// planes' {code, message} elsewhere, both with code RATE_LIMITED and
// retryAfterSeconds. Readable by an allowed browser origin like any answer.
//
// The answer comes after a pause (up to a second, never beyond Retry-After):
// a client that honours Retry-After waits that long anyway, and one that
// loops without waiting is slowed to one request a second per connection
// instead of costing the server an answer each time it asks. A bounded
// number of answers wait at once; past it they go at once.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/config.ts";
import { isOriginAllowed } from "../http/cors.ts";
import type { Refusal } from "./RequestLimits.ts";

/** The longest a refusal waits before it is sent. */
const refusalPauseMs = 1000;

/** Refusals waiting to be sent at most at once (each holds its socket meanwhile). */
const maxPausedRefusals = 1024;
let pausedRefusals = 0;

/** A refused request's body up to this size is drained, keeping its connection. */
const smallBodyBytes = 64 * 1024;

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
  // The request's body is not read: Node drains a small one to keep the connection for the next request;
  // a large one (an upload's bytes) is not worth reading, and the connection closes instead.
  const large = Number(req.headers["content-length"] ?? 0) > smallBodyBytes || req.headers["transfer-encoding"];
  const send = () => {
    if (res.destroyed) return;
    res.writeHead(429, {
      "Content-Type": "application/json",
      "Retry-After": String(Math.ceil(retryAfterSeconds)),
      ...(large ? { Connection: "close" } : {}),
    });
    res.end(JSON.stringify(body));
  };
  if (pausedRefusals >= maxPausedRefusals) return send();
  pausedRefusals++;
  const timer = setTimeout(
    () => {
      pausedRefusals--;
      res.off("close", gone);
      send();
    },
    Math.min(refusalPauseMs, retryAfterSeconds * 1000),
  );
  // The client went away meanwhile: nothing to send.
  const gone = () => {
    clearTimeout(timer);
    pausedRefusals--;
  };
  res.once("close", gone);
}
