// tus's own refusals (a missing Tus-Resumable, an invalid header, an offset
// conflict, an unknown upload, a size limit...) in smsync's JSON error shape
// {code, message}, with tus's HTTP status: smsync's code says what kind of
// refusal it is, tus's text says which.
import type { ErrorCode } from "../errors/SmsyncError.ts";

export interface ErrorAnswer {
  status_code: number;
  body: string;
}

function codeOf(status: number): ErrorCode {
  if (status === 404 || status === 410) return "NOT_FOUND";
  if (status === 413) return "PAYLOAD_TOO_LARGE";
  return "BAD_INPUT";
}

export function tusRefusalAnswer(status: number, text: string): ErrorAnswer {
  return { status_code: status, body: JSON.stringify({ code: codeOf(status), message: text.trim() }) };
}

/** Whether an answer's body is smsync's JSON error shape already. */
export function isJsonErrorBody(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === "object" && parsed !== null && typeof (parsed as { code?: unknown }).code === "string";
  } catch {
    return false;
  }
}
