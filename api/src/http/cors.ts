// CORS for browser apps served from another origin (SMSYNC_CORS_ORIGINS).
// Clients authenticate with a bearer token and never with cookies, so no
// credentials are allowed and "*" lets no page act for a user whose token
// it does not hold. Each plane answers CORS its own way: Yoga (/graphql)
// and @tus/server (/uploads) through their options, the downloads and batch
// routes through plainRouteCors below; all take the origin decision from here.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/config.ts";

/** The request headers a browser client sends (besides the CORS-safelisted ones). */
export const corsRequestHeaders = ["Authorization", "Content-Type", "Range", "If-Range"];

/** What the client reads of a download's answer. */
export const downloadExposedHeaders = [
  "Content-Range",
  "Content-Length",
  "Accept-Ranges",
  "ETag",
  "Repr-Digest",
  "X-Smsync-Sha256",
];

/** Preflight answers may be cached this long (seconds). */
export const corsMaxAgeSeconds = 600;

/** Whether a browser page of this origin may call the server. */
export function isOriginAllowed(corsOrigins: Config["corsOrigins"], origin: string | null | undefined): boolean {
  if (!origin) return false;
  return corsOrigins === "*" || corsOrigins.includes(origin);
}

/**
 * CORS on the routes answered without a framework (downloads, the batch
 * paths): the allow/expose headers on every answer to an allowed origin, and
 * the preflight (OPTIONS) answered here. True when the request was a
 * preflight and has been answered.
 */
export function plainRouteCors(
  config: Config,
  req: IncomingMessage,
  res: ServerResponse,
  methods = "GET, HEAD, OPTIONS",
): boolean {
  const origin = req.headers.origin;
  const allowed = isOriginAllowed(config.corsOrigins, origin);
  res.setHeader("Vary", "Origin");
  if (allowed) {
    res.setHeader("Access-Control-Allow-Origin", origin!);
    res.setHeader("Access-Control-Expose-Headers", downloadExposedHeaders.join(", "));
  }
  if (req.method !== "OPTIONS") return false;
  if (allowed) {
    res.setHeader("Access-Control-Allow-Methods", methods);
    res.setHeader("Access-Control-Allow-Headers", corsRequestHeaders.join(", "));
    res.setHeader("Access-Control-Max-Age", String(corsMaxAgeSeconds));
  }
  req.resume();
  res.writeHead(204).end();
  return true;
}

/** Yoga's `cors` option: no CORS headers for an origin that is not allowed. */
export function graphqlCors(config: Config) {
  return (request: Request) => {
    const origin = request.headers.get("origin");
    if (!isOriginAllowed(config.corsOrigins, origin)) return false as const;
    return {
      origin: origin!,
      credentials: false,
      methods: ["GET", "POST", "OPTIONS"],
      allowedHeaders: corsRequestHeaders,
      maxAge: corsMaxAgeSeconds,
    };
  };
}

/** The CORS headers of the upload plane's own answers (those @tus/server does not write). */
export function uploadCorsHeaders(config: Config, origin: string | undefined): Record<string, string> {
  if (!isOriginAllowed(config.corsOrigins, origin)) return {};
  return {
    "Access-Control-Allow-Origin": origin!,
    "Access-Control-Expose-Headers": "Location, Upload-Offset, Upload-Length, Tus-Resumable",
    Vary: "Origin",
  };
}
