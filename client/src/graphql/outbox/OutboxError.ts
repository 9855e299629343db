// The outbox's own refusals, as distinct from the server's answers.
import { SmsyncClientError } from "../../errors.ts";

export type OutboxErrorCode =
  /** A mutation without an idempotencyKey variable: it could not be replayed safely, so it is refused. */
  | "IDEMPOTENCY_KEY_MISSING"
  /** The key is pending or answered for another mutation or other variables. */
  | "IDEMPOTENCY_KEY_REUSED"
  /** result(key): no pending mutation and no stored result has this key. */
  | "OUTBOX_UNKNOWN_KEY"
  /** The outbox was closed; pending mutations stay stored for the next one. */
  | "OUTBOX_CLOSED"
  /** clear() dropped the pending mutation. */
  | "OUTBOX_CLEARED";

export class OutboxError extends SmsyncClientError {
  override name = "OutboxError";
  declare readonly code: OutboxErrorCode;

  constructor(code: OutboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export function closedError(): OutboxError {
  return new OutboxError("OUTBOX_CLOSED", "the outbox is closed; its pending mutations stay stored for the next one");
}
