// A mutation as the outbox takes it: keyed by its idempotencyKey variable,
// in the JSON form the store gives back, so that a mutation enqueued again
// (the same key) can be told from another one reusing the key.
import { getOperationName, stringifyDocument } from "@urql/core";
import { stableJson } from "@smsync/protocol";
import { OutboxError } from "./OutboxError.ts";

export type Variables = Record<string, unknown>;

export interface MutationRequest {
  idempotencyKey: string;
  operationName: string | null;
  query: string;
  variables: Variables;
}

/** The request, or IDEMPOTENCY_KEY_MISSING: without a key it could not be replayed safely. */
export function mutationRequest(
  document: Parameters<typeof stringifyDocument>[0],
  variables: Variables,
): MutationRequest | OutboxError {
  const idempotencyKey = variables.idempotencyKey;
  const operationName = getOperationName(document as never) ?? null;
  if (typeof idempotencyKey !== "string" || idempotencyKey.length === 0) {
    return new OutboxError(
      "IDEMPOTENCY_KEY_MISSING",
      `mutation ${operationName ?? "(anonymous)"} has no idempotencyKey variable: it could not be replayed safely`,
    );
  }
  // The JSON form, as the store will give it back.
  return {
    idempotencyKey,
    operationName,
    query: stringifyDocument(document),
    variables: JSON.parse(JSON.stringify(variables)) as Variables,
  };
}

/** Throws IDEMPOTENCY_KEY_REUSED unless the request is the one already known under its key. */
export function checkSameRequest(
  known: { operationName: string | null; variables: Variables },
  request: MutationRequest,
): void {
  if (known.operationName !== request.operationName || stableJson(known.variables) !== stableJson(request.variables)) {
    throw new OutboxError(
      "IDEMPOTENCY_KEY_REUSED",
      `idempotency key ${JSON.stringify(request.idempotencyKey)} is already used for another ${known.operationName ?? "mutation"} request`,
    );
  }
}
