// The durable, serial outbox (Outbox.ts says how it works) and what its users see.
export { Outbox, type OutboxOptions } from "./Outbox.ts";
export type { OutboxEvent } from "./events.ts";
export { OutboxError, type OutboxErrorCode } from "./OutboxError.ts";
export {
  resultData,
  type OutboxEntry,
  type OutboxResult,
  type StoredGraphQLError,
  type StoredOutboxResult,
} from "./records.ts";
