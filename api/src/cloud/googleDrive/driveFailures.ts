// What went wrong with a Drive request, in the backend's terms. Every
// failure (a googleapis/gaxios error, an answer of the resumable protocol, a
// dropped connection) becomes a DriveRequestError, classified once into a
// CloudStorageError kind:
//   401                              -> unauthorized (refresh the token once, then "authorization")
//   403 rateLimitExceeded / userRateLimitExceeded, 429
//                                    -> "rateLimited" (retried, honouring Retry-After; when the
//                                       retries run out the transfer waits without spending an attempt)
//   403 storageQuotaExceeded / quotaExceeded
//                                    -> "storageFull" (the user's Drive is full: not retried here)
//   408, 5xx, dropped or refused connections, a download cut mid-body
//                                    -> "transient" (retried, honouring Retry-After)
//   404                              -> "notFound"
//   anything else (403 permission, 400...) -> "permanent"
import { Readable } from "node:stream";
import { CloudStorageError, type CloudFailureKind } from "../CloudStorageError.ts";

const rateLimitReasons = new Set(["rateLimitExceeded", "userRateLimitExceeded"]);
/** The user's Drive storage is full (Drive names it either way, uploads usually storageQuotaExceeded). */
const storageFullReasons = new Set(["storageQuotaExceeded", "quotaExceeded"]);

export class DriveRequestError extends CloudStorageError {
  override name = "DriveRequestError";

  constructor(
    kind: CloudFailureKind,
    message: string,
    readonly status?: number,
    readonly reason?: string,
    /** From Retry-After, when the answer had one. */
    retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(kind, message, { ...options, retryAfterMs });
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export function kindOfStatus(status: number, reason?: string): CloudFailureKind {
  if (status === 401) return "authorization";
  if (status === 403 && reason && rateLimitReasons.has(reason)) return "rateLimited";
  if (status === 403 && reason && storageFullReasons.has(reason)) return "storageFull";
  if (status === 429) return "rateLimited";
  if (status === 404) return "notFound";
  if (status === 408 || status >= 500) return "transient";
  return "permanent";
}

/** Retry-After in seconds or as an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Drive's error body: { error: { errors: [{ reason }], message } }. */
export function reasonOf(body: unknown): { reason?: string; message?: string } {
  const error = (body as { error?: { message?: string; errors?: { reason?: string }[] } } | undefined)?.error;
  return { reason: error?.errors?.[0]?.reason, message: error?.message };
}

export function failureOfAnswer(
  what: string,
  status: number,
  body: unknown,
  retryAfter?: string | null,
): DriveRequestError {
  const { reason, message } = reasonOf(body);
  return new DriveRequestError(
    kindOfStatus(status, reason),
    `${what}: Drive answered ${status}${reason ? ` ${reason}` : ""}${message ? ` (${message})` : ""}`,
    status,
    reason,
    parseRetryAfter(retryAfter),
  );
}

interface GaxiosLikeError {
  status?: number;
  code?: string | number;
  message: string;
  response?: { status?: number; data?: unknown; headers?: Headers | Record<string, string> };
}

export function headerOf(headers: Headers | Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

async function bodyOf(data: unknown): Promise<unknown> {
  if (!(data instanceof Readable)) return data;
  // A stream request (alt=media) that failed: its error body is still a stream.
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of data) {
      chunks.push(Buffer.from(chunk as Buffer));
      if ((size += (chunk as Buffer).length) > 64 * 1024) break;
    }
  } catch {
    // The body only details a failure that is being reported anyway; a
    // connection cut while it is read leaves it unknown, and the status decides.
    return undefined;
  }
  return jsonOrUndefined(Buffer.concat(chunks).toString("utf8"));
}

function jsonOrUndefined(text: string | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // not JSON: not Google's error body
    throw error;
  }
}

/** Any error of a Drive call as a CloudStorageError (a DriveRequestError unless it already was one). */
export async function toDriveFailure(what: string, error: unknown): Promise<CloudStorageError> {
  if (error instanceof CloudStorageError) return error;
  const failure = error as GaxiosLikeError;
  const status = failure.response?.status ?? (typeof failure.status === "number" ? failure.status : undefined);
  if (status !== undefined) {
    // A failed stream request (alt=media) has no data; gaxios puts the error body in the message.
    const body = (await bodyOf(failure.response?.data)) ?? jsonOrUndefined(failure.message);
    const answer = failureOfAnswer(what, status, body, headerOf(failure.response?.headers, "retry-after"));
    return new DriveRequestError(answer.kind, answer.message, status, answer.reason, answer.retryAfterMs, {
      cause: error,
    });
  }
  // No answer at all: the connection was refused, dropped, or timed out.
  return new DriveRequestError(
    "transient",
    `${what}: ${failure.message ?? String(error)}`,
    undefined,
    undefined,
    undefined,
    { cause: error },
  );
}
