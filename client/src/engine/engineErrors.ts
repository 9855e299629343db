// The engine's own errors, and which errors end a pass in nonRecoverableError.
import type { ErrorCode } from "@smsync/protocol";
import { ServerError, SmsyncClientError } from "../errors.ts";
import type { Operation } from "./followOperation.ts";

/** Conflicts (server changes against pending local changes) and no resolveConflict callback to settle them. */
export class ConflictsNotImplementedError extends SmsyncClientError {
  override name = "ConflictsNotImplementedError";

  constructor(readonly fileUUIDs: string[]) {
    super("CONFLICTS_NOT_IMPLEMENTED", `conflicts on ${fileUUIDs.join(", ")} and no resolveConflict callback`);
  }
}

/** The server's transfer ended FAILED. */
export class TransferFailedError extends SmsyncClientError {
  override name = "TransferFailedError";

  constructor(readonly operation: Operation) {
    super(
      signInRequired(operation) ? "GOOGLE_SIGN_IN_REQUIRED" : "TRANSFER_FAILED",
      `${operation.kind} transfer ${operation.id} failed: ${operation.errorCode ?? ""} ${operation.errorMessage ?? ""}`.trim(),
    );
  }
}

/** The server could not reach the user's cloud with the credentials it holds (consent revoked): only signing in again helps, not a retry. */
export function signInRequired(operation: Operation): boolean {
  return operation.errorCode === ("GOOGLE_SIGN_IN_REQUIRED" satisfies ErrorCode);
}

/**
 * A 404 on a staged download: the staged copies expired (SMSYNC_INBOUND_EXPIRY_SECONDS) or were given up. The rest of
 * the inbound transfer is forgotten, and the next plan asks for what is still missing (what was acknowledged is not
 * asked for again).
 */
export function stagedCopiesGone(error: unknown): boolean {
  return error instanceof ServerError && error.details.status === 404;
}

/**
 * A 404 on a batch's upload: the server no longer has it staged, as it discards an upload with its grant (the lock
 * taken over after expiry, or released by resetServerState). Like STALE_FENCING_TOKEN, the pass locks again and redoes
 * the batch under the new grant (a new upload of the file; uploadFile already forgot the old upload's resume state).
 */
export class StagedUploadGoneError extends ServerError {
  override name = "StagedUploadGoneError";

  constructor(error: ServerError) {
    super(error.code, error.message, error.details);
  }
}

/** Codes after which the engine cannot go on without the app (nonRecoverableError). */
export const nonRecoverableCodes: ReadonlySet<string> = new Set<ErrorCode | "CONFLICTS_NOT_IMPLEMENTED">([
  "CONFLICTS_NOT_IMPLEMENTED",
  "UNAUTHENTICATED",
  "IDEMPOTENCY_KEY_REUSED",
  "STALE_FENCING_TOKEN",
  "BAD_INPUT",
  "CLOUD_NAME_TAKEN",
  "UPLOAD_AND_DELETION_IN_BATCH",
  "FILE_DELETED",
  "UNKNOWN_FILE",
  "ALREADY_DELETED",
  "PAYLOAD_TOO_LARGE",
  // A batch staging more than the server's quota per lock grant: a later pass would stage it again.
  "STAGING_QUOTA_EXCEEDED",
  "WRONG_VERSION",
  "TRANSFER_FAILED",
  "GOOGLE_SIGN_IN_REQUIRED",
]);
