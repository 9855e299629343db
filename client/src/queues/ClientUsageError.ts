import { SmsyncClientError } from "../errors.ts";

/** The app called the SDK in a way it cannot honour; nothing was queued. */
export class ClientUsageError extends SmsyncClientError {
  override name = "ClientUsageError";
}
