/** The code in extensions.code of the server's typed GraphQL errors, and of byte-plane error bodies (docs/protocol.md, "Errors"). */
export type ErrorCode =
  /** the file is already deleted */
  | 'ALREADY_DELETED'
  /** an argument is malformed */
  | 'BAD_INPUT'
  /** the uploaded bytes do not match the declared sha256 */
  | 'CHECKSUM_MISMATCH'
  /** the cloud file name belongs to another live file */
  | 'CLOUD_NAME_TAKEN'
  /** the file is deleted; upload it with undelete to bring it back */
  | 'FILE_DELETED'
  /** Google refused the authorization code, or it grants too little */
  | 'GOOGLE_AUTHORIZATION_CODE_INVALID'
  /** the Google ID token failed verification (extensions.reason names the check) */
  | 'GOOGLE_ID_TOKEN_INVALID'
  /** this server has no Google OAuth client configured */
  | 'GOOGLE_NOT_CONFIGURED'
  /** the user's Google authorization is missing or revoked: sign in with Google again */
  | 'GOOGLE_SIGN_IN_REQUIRED'
  /** Google's certificates or token endpoint could not be reached; retry later */
  | 'GOOGLE_UNAVAILABLE'
  /** the idempotency key was used for another request */
  | 'IDEMPOTENCY_KEY_REUSED'
  /** an unexpected failure on the server (logged there, not shown) */
  | 'INTERNAL'
  /** another device holds the user's lock */
  | 'LOCK_HELD'
  /** the call needs the caller's current lock and fencing token */
  | 'LOCK_REQUIRED'
  /** no staged uploads or upload-deletions to commit */
  | 'NOTHING_TO_COMMIT'
  /** no such object for this user */
  | 'NOT_FOUND'
  /** the upload is larger than the server accepts */
  | 'PAYLOAD_TOO_LARGE'
  /** too many requests from this device, user or address: retry after extensions.retryAfterSeconds (HTTP 429, Retry-After) */
  | 'RATE_LIMITED'
  /** a committed file's staged bytes are gone from staging */
  | 'STAGED_UPLOAD_MISSING'
  /** the server's staging area has no room (HTTP 507): the upload keeps its bytes; resume it later */
  | 'STAGING_FULL'
  /** the user's staged, uncommitted bytes would pass the server's per-user staging quota: commit or discard some first */
  | 'STAGING_QUOTA_EXCEEDED'
  /** the fencing token is not the current one: the lock was lost */
  | 'STALE_FENCING_TOKEN'
  /** the batch's outbound transfer failed: commit again to resume it */
  | 'TRANSFER_FAILED'
  /** a transfer holding the lock has not ended */
  | 'TRANSFER_IN_PROGRESS'
  /** no valid device token was given */
  | 'UNAUTHENTICATED'
  /** no such file in the file index */
  | 'UNKNOWN_FILE'
  /** the batch already has an upload-deletion (or an upload) of the file: a batch uploads a file or deletes it, not both */
  | 'UPLOAD_AND_DELETION_IN_BATCH'
  /** a staged upload has not received all its bytes */
  | 'UPLOAD_INCOMPLETE'
  /** an upload's version must be the file index version + 1 */
  | 'WRONG_VERSION';

export type OperationKind =
  | 'INBOUND'
  | 'OUTBOUND';

export type OperationState =
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'NOT_STARTED'
  | 'SUCCEEDED';

export type TransferAction =
  | 'DELETE'
  | 'DOWNLOAD'
  | 'UPLOAD';

export type TransferFileState =
  | 'ABANDONED'
  | 'DONE'
  | 'INDEXED'
  | 'PENDING';
