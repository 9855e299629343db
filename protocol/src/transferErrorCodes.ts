// The codes a transfer records in its errorCode (an Operation's, and its
// TransferEvents'): any of the server's error codes, or one naming how the
// user's cloud storage failed (docs/protocol.md, "Errors"). Some of them
// mean the transfer is waiting, not failing ("Transfers that wait").
import type { ErrorCode } from "./errorCodes.ts";

/** Each cloud failure's code with what it means. */
export const cloudFailureCodes = {
  CLOUD_TRANSIENT: "a network failure or a 5xx from the cloud: retried with backoff, spending an attempt",
  CLOUD_RATE_LIMITED: "the cloud asked the server to slow down: the transfer waits, spending no attempt",
  CLOUD_STORAGE_FULL: "the user's cloud storage is full: the transfer waits for room, spending no attempt",
  CLOUD_NOTFOUND: "the cloud object is gone",
  CLOUD_INTEGRITY: "the cloud's bytes do not match their sha256",
  CLOUD_PERMANENT: "the cloud refused in a way a retry cannot fix",
} as const;

export type CloudFailureCode = keyof typeof cloudFailureCodes;

export type TransferErrorCode = ErrorCode | CloudFailureCode;

/** The codes of a transfer that waits (IN_PROGRESS, its last try ended in a wait) rather than fails. */
export const transferWaitCodes = [
  "CLOUD_STORAGE_FULL",
  "CLOUD_RATE_LIMITED",
  "STAGING_FULL",
] as const satisfies readonly TransferErrorCode[];

export type TransferWaitCode = (typeof transferWaitCodes)[number];

export function isTransferWaitCode(code: unknown): code is TransferWaitCode {
  return (transferWaitCodes as readonly unknown[]).includes(code);
}
