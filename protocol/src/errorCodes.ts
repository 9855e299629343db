// The codes of the server's typed errors: a GraphQL error's extensions.code,
// or the `code` of a byte-plane error body (docs/protocol.md, "Errors").
// Defined here once: the server throws only these, the schema exposes them
// as the ErrorCode enum (so codegen types them for any client), and the
// client SDK checks answers against them.

/** Each code with what it means. */
export const errorCodes = {
  UNAUTHENTICATED: "no valid device token was given",
  BAD_INPUT: "an argument is malformed",
  LOCK_HELD: "another device holds the user's lock",
  LOCK_REQUIRED: "the call needs the caller's current lock and fencing token",
  STALE_FENCING_TOKEN: "the fencing token is not the current one: the lock was lost",
  WRONG_VERSION: "an upload's version must be the file index version + 1",
  CLOUD_NAME_TAKEN: "the cloud file name belongs to another live file",
  FILE_DELETED: "the file is deleted; upload it with undelete to bring it back",
  UNKNOWN_FILE: "no such file in the file index",
  ALREADY_DELETED: "the file is already deleted",
  UPLOAD_AND_DELETION_IN_BATCH:
    "the batch already has an upload-deletion (or an upload) of the file: a batch uploads a file or deletes it, not both",
  NOTHING_TO_COMMIT: "no staged uploads or upload-deletions to commit",
  UPLOAD_INCOMPLETE: "a staged upload has not received all its bytes",
  TRANSFER_IN_PROGRESS: "a transfer holding the lock has not ended",
  TRANSFER_FAILED: "the batch's outbound transfer failed: commit again to resume it",
  NOT_FOUND: "no such object for this user",
  IDEMPOTENCY_KEY_REUSED: "the idempotency key was used for another request",
  STAGED_UPLOAD_MISSING: "a committed file's staged bytes are gone from staging",
  CHECKSUM_MISMATCH: "the uploaded bytes do not match the declared sha256",
  PAYLOAD_TOO_LARGE: "the upload is larger than the server accepts",
  STAGING_QUOTA_EXCEEDED:
    "the user's staged, uncommitted bytes would pass the server's per-user staging quota: commit or discard some first",
  RATE_LIMITED:
    "too many requests from this device, user or address: retry after extensions.retryAfterSeconds (HTTP 429, Retry-After)",
  STAGING_FULL: "the server's staging area has no room (HTTP 507): the upload keeps its bytes; resume it later",
  GOOGLE_NOT_CONFIGURED: "this server has no Google OAuth client configured",
  GOOGLE_ID_TOKEN_INVALID: "the Google ID token failed verification (extensions.reason names the check)",
  GOOGLE_AUTHORIZATION_CODE_INVALID: "Google refused the authorization code, or it grants too little",
  GOOGLE_UNAVAILABLE: "Google's certificates or token endpoint could not be reached; retry later",
  GOOGLE_SIGN_IN_REQUIRED: "the user's Google authorization is missing or revoked: sign in with Google again",
  INTERNAL: "an unexpected failure on the server (logged there, not shown)",
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Whether a code from the wire is one of the protocol's (anything else is not typed: a masked error, a proxy's answer...). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(errorCodes, code);
}
