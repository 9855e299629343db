import { SmsyncClientError } from "../errors.ts";

/** The app called the SDK in a way it cannot honour; nothing was queued. */
export class ClientUsageError extends SmsyncClientError {
  override name = "ClientUsageError";
  /** The file refused, when the call named files (uploadFiles says which of its entries). */
  readonly fileUUID: string | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; fileUUID?: string }) {
    super(code, message, options);
    this.fileUUID = options?.fileUUID;
  }
}
