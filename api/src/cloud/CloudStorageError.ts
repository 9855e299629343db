// A failure of the cloud storage, classified for the transfer's retry policy.
import type { TransferErrorCode } from "@smsync/protocol";

export type CloudFailureKind =
  | "transient" // network, 5xx: retry with backoff, spending one of the transfer's attempts
  | "rateLimited" // the cloud's quota says slow down: wait (retryAfterMs when the cloud said), spend no attempt
  | "storageFull" // the user's store has no room: wait for space, spend no attempt, tell the user at once
  | "notFound" // the object is gone
  | "integrity" // content did not match its sha256
  | "authorization" // credentials revoked: the user must sign in again
  | "permanent"; // anything else that a retry cannot fix

export class CloudStorageError extends Error {
  override name = "CloudStorageError";
  /** How long the cloud asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(
    readonly kind: CloudFailureKind,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** The errorCode a transfer records for this failure (docs/protocol.md, "Errors"). */
  get code(): TransferErrorCode {
    return transferErrorCodeOf[this.kind];
  }

  get retryable(): boolean {
    return this.kind === "transient" || this.waitsWithoutAttempt;
  }

  /** A failure that time (or the user) fixes, not the transfer: it waits and retries without spending an attempt. */
  get waitsWithoutAttempt(): boolean {
    return this.kind === "rateLimited" || this.kind === "storageFull";
  }
}

// Revoked cloud credentials (only Google's have any) ask the user to sign in again.
const transferErrorCodeOf: Record<CloudFailureKind, TransferErrorCode> = {
  transient: "CLOUD_TRANSIENT",
  rateLimited: "CLOUD_RATE_LIMITED",
  storageFull: "CLOUD_STORAGE_FULL",
  notFound: "CLOUD_NOTFOUND",
  integrity: "CLOUD_INTEGRITY",
  authorization: "GOOGLE_SIGN_IN_REQUIRED",
  permanent: "CLOUD_PERMANENT",
};
