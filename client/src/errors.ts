// Errors the SDK gives an app: each a named class with a stable code, so an
// app can tell misuse (fix the call) from conditions (retry, reset, sign in).
import type { ErrorCode } from "@smsync/protocol";
/**
 * What to reject with when a signal aborts: its reason (the engine aborts
 * with a SmsyncClientError, an app with what it chose), or an AbortError
 * naming `what` when the runtime gave none.
 */
export function abortReason(signal: AbortSignal, what = "The operation"): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  if (reason === undefined) return new DOMException(`${what} was aborted.`, "AbortError");
  return new Error(`${what} was aborted`, { cause: reason });
}

export class SmsyncClientError extends Error {
  override name = "SmsyncClientError";

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The server answered with a typed error: `code` is one of the protocol's
 * (ErrorCode), or, for an answer outside it, the code it came with (e.g. a
 * masked failure's INTERNAL_SERVER_ERROR), HTTP_<status> (no smsync body) or
 * UNKNOWN (no code). Check it with isServerError, which takes only the
 * protocol's codes.
 */
export class ServerError extends SmsyncClientError {
  override name = "ServerError";

  constructor(
    code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message);
  }
}

/** Whether `error` is the server's typed error with one of these codes. */
export function isServerError(
  error: unknown,
  ...codes: [ErrorCode, ...ErrorCode[]]
): error is ServerError & { readonly code: ErrorCode } {
  return error instanceof ServerError && (codes as string[]).includes(error.code);
}

/**
 * The server's staging area has no room for an upload's bytes (HTTP 507). The
 * bytes it received are kept, and the upload resumes from them on a later
 * attempt, once the server has room: not a failure of the upload.
 */
export class StagingFullError extends ServerError {
  override name = "StagingFullError";

  constructor(message: string, details: Record<string, unknown> = {}) {
    super("STAGING_FULL", message, details);
  }
}

/**
 * The upload would pass the user's staging quota on the server
 * (SMSYNC_STAGING_QUOTA_BYTES, HTTP 413): the declared bytes of the uploads
 * staged and not yet committed under the lock. Nothing was staged; a commit
 * or an unlock frees the quota, a retry as it is never helps. `details`
 * carries `quotaBytes` and `stagedBytes`.
 */
export class StagingQuotaExceededError extends ServerError {
  override name = "StagingQuotaExceededError";

  constructor(message: string, details: Record<string, unknown> = {}) {
    super("STAGING_QUOTA_EXCEEDED", message, details);
  }
}

/** The network failed or the server was unreachable; the call may be retried. */
export class NetworkError extends SmsyncClientError {
  override name = "NetworkError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("NETWORK", message, options);
  }
}

/** Bytes received do not match their sha256. */
export class IntegrityError extends SmsyncClientError {
  override name = "IntegrityError";

  constructor(message: string) {
    super("INTEGRITY", message);
  }
}
