// What the outbox stores: a mutation waiting to be sent, and the server's
// answer to one, kept by idempotency key until the engine takes it; and the
// typed view of that answer it gives callers.
import { ServerError } from "../../errors.ts";

/** A mutation waiting to be sent, as stored in the "outbox" collection under sequenceKey(sequence). */
export interface OutboxEntry {
  sequence: number;
  idempotencyKey: string;
  operationName: string | null;
  /** The document's text. */
  query: string;
  /** The variables as JSON, the idempotency key among them. */
  variables: Record<string, unknown>;
  enqueuedAt: string;
}

/** A GraphQL error as the server sent it. */
export interface StoredGraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** The server's answer to a mutation, as stored in "outboxResults" under its idempotency key. */
export interface StoredOutboxResult {
  idempotencyKey: string;
  operationName: string | null;
  variables: Record<string, unknown>;
  /** null when the server answered with an error. */
  data: unknown;
  /** [] when the mutation succeeded. */
  errors: StoredGraphQLError[];
  storedAt: string;
}

/** The server's answer to a mutation, typed. */
export interface OutboxResult<TData> {
  idempotencyKey: string;
  operationName: string | null;
  data: TData | null;
  errors: StoredGraphQLError[];
  /** The first error as a typed ServerError (its code from extensions.code), if any. */
  error: ServerError | undefined;
  storedAt: string;
}

export function typedResult<TData>(stored: StoredOutboxResult): OutboxResult<TData> {
  const first = stored.errors[0];
  let error: ServerError | undefined;
  if (first) {
    const { code, ...details } = first.extensions ?? {};
    error = new ServerError(typeof code === "string" ? code : "UNKNOWN", first.message, details);
  }
  return {
    idempotencyKey: stored.idempotencyKey,
    operationName: stored.operationName,
    data: (stored.data ?? null) as TData | null,
    errors: stored.errors,
    error,
    storedAt: stored.storedAt,
  };
}

/** The data of a result, or its error thrown. */
export function resultData<TData>(result: OutboxResult<TData>): TData {
  if (result.error) throw result.error;
  return result.data as TData;
}
