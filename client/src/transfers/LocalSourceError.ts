import { SmsyncClientError } from "../errors.ts";

/** The local content cannot be read, or changed while it was being sent. */
export class LocalSourceError extends SmsyncClientError {
  override name = "LocalSourceError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("LOCAL_SOURCE", message, options);
  }
}
