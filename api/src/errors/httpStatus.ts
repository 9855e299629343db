// The HTTP status of an smsync error on the byte planes (tus, the batch
// paths, downloads): their answers carry the JSON body {code, message, ...}
// with this status. An error without one here is the caller's: 400.
import type { ErrorCode } from "./SmsyncError.ts";

const statusOf: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  LOCK_HELD: 423,
  LOCK_REQUIRED: 423,
  STALE_FENCING_TOKEN: 409,
  TRANSFER_IN_PROGRESS: 423,
  TRANSFER_FAILED: 423,
  WRONG_VERSION: 409,
  CLOUD_NAME_TAKEN: 409,
  FILE_DELETED: 409,
  UPLOAD_AND_DELETION_IN_BATCH: 409,
  PAYLOAD_TOO_LARGE: 413,
  STAGING_QUOTA_EXCEEDED: 413,
  RATE_LIMITED: 429,
  CHECKSUM_MISMATCH: 460,
};

export function httpStatusOf(code: ErrorCode): number {
  return statusOf[code] ?? 400;
}
