// tus's onResponseError: every error answer of the byte plane has a JSON
// body {code, message, ...}. smsync's errors with their status; tus's own
// (offset conflict, size limit...) with theirs; a full staging disk as 507
// STAGING_FULL; anything else (a database or disk failure) logged, and
// answered 500 INTERNAL without its message.
import { isFileSystemFull } from "../../errors/fileSystemFull.ts";
import { httpStatusOf } from "../../errors/httpStatus.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import type { Logger } from "../../logging/logger.ts";
import { tusRefusalAnswer, type ErrorAnswer } from "../tusRefusals.ts";

export function internalErrorAnswer(): ErrorAnswer {
  return { status_code: 500, body: JSON.stringify({ code: "INTERNAL", message: "internal server error" }) };
}

export function onResponseError(logger: Logger) {
  return (req: Request, error: unknown): ErrorAnswer => {
    if (error instanceof SmsyncError) {
      return {
        status_code: httpStatusOf(error.code),
        body: JSON.stringify({ code: error.code, message: error.message, ...error.extensions }),
      };
    }
    const tusError = error as { status_code?: unknown; body?: unknown };
    if (typeof tusError.status_code === "number" && typeof tusError.body === "string" && tusError.status_code < 500) {
      return tusRefusalAnswer(tusError.status_code, tusError.body);
    }
    if (isFileSystemFull(error)) {
      logger.error({ err: error, method: req.method, url: req.url }, "upload refused: the staging area's disk is full");
      const message =
        "the server's staging area is full; the bytes received so far are kept: resume the upload (HEAD, then PATCH) later";
      return { status_code: 507, body: JSON.stringify({ code: "STAGING_FULL", message }) };
    }
    logger.error({ err: error, method: req.method, url: req.url }, "upload request failed");
    return internalErrorAnswer();
  };
}
