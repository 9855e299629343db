// A failure of the cloud storage, classified for the transfer's retry policy.
export type CloudFailureKind =
  | "transient" // network, 5xx, rate limit: retry with backoff
  | "notFound" // the object is gone
  | "integrity" // content did not match its sha256
  | "authorization" // credentials revoked: the user must sign in again
  | "permanent"; // anything else that a retry cannot fix

export class CloudStorageError extends Error {
  override name = "CloudStorageError";

  constructor(
    readonly kind: CloudFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get retryable(): boolean {
    return this.kind === "transient";
  }
}
