// The byte plane's HTTP answers as the SDK's typed errors. The server answers
// every error with a JSON body { code, message, ...details } (docs/protocol.md,
// "Errors"); anything else (a proxy's HTML page, an empty body) keeps its
// HTTP status as the code, HTTP_<status>.
import type { ErrorCode } from "@smsync/protocol";
import { ServerError, StagingFullError, StagingQuotaExceededError } from "../errors.ts";

/** Codes of byte-plane answers that mean "this request will never succeed as it is". */
const finalCodes: ReadonlySet<string> = new Set<ErrorCode>([
  "BAD_INPUT",
  "NOT_FOUND",
  "STALE_FENCING_TOKEN",
  "WRONG_VERSION",
  "CLOUD_NAME_TAKEN",
  "FILE_DELETED",
  "UPLOAD_AND_DELETION_IN_BATCH",
  "CHECKSUM_MISMATCH",
  "PAYLOAD_TOO_LARGE",
]);

/** The body of an error answer, if it is the server's JSON shape. */
export function parseErrorBody(
  body: string | undefined | null,
): ({ code: string; message?: string } & Record<string, unknown>) | null {
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === "object" && typeof (parsed as { code?: unknown }).code === "string") {
      return parsed as { code: string; message?: string } & Record<string, unknown>;
    }
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // Not JSON: not the server's own answer.
  }
  return null;
}

/**
 * A ServerError for an HTTP error answer: the server's code (or HTTP_<status>),
 * its message, and its details with the HTTP status added as `status`.
 */
export function serverErrorFromResponse(status: number, body: string | undefined | null, what: string): ServerError {
  const parsed = parseErrorBody(body);
  if (parsed) {
    const { code, message, ...details } = parsed;
    const text = `${what}: ${message ?? code} (HTTP ${status})`;
    if (code === ("STAGING_FULL" satisfies ErrorCode)) return new StagingFullError(text, { ...details, status });
    if (code === ("STAGING_QUOTA_EXCEEDED" satisfies ErrorCode))
      return new StagingQuotaExceededError(text, { ...details, status });
    return new ServerError(code, text, { ...details, status });
  }
  const text = (body ?? "").trim().slice(0, 200);
  return new ServerError(`HTTP_${status}`, `${what}: HTTP ${status}${text ? ` ${text}` : ""}`, { status });
}

/** Whether a ServerError of the byte plane is worth retrying as it is (5xx, 429: the server may get better). */
export function isTransientServerError(error: ServerError): boolean {
  const status = error.details.status;
  return typeof status === "number" && (status >= 500 || status === 429);
}

/** Whether an answer makes an upload's resume state useless (the server dropped the upload or will never take it). */
export function isFinalUploadError(error: ServerError): boolean {
  return finalCodes.has(error.code);
}
