// The outbox as a urql exchange (put it first in the Client's list):
// - a caller's mutation is not forwarded: it is handed to the queue, and its
//   result is the stored answer, delivered whenever the server gives it;
// - the outbox's own requests (Transport) are forwarded, and their results
//   go back to the Transport, not to callers;
// - everything else (queries, subscriptions, teardowns) passes through.
import { makeErrorResult, makeResult, type Exchange, type Operation, type OperationResult } from "@urql/core";
import { filter, makeSubject, merge, onPush, pipe, share, type Source } from "wonka";
import type { Listener } from "./durableQueue.ts";
import { mutationRequest, type MutationRequest } from "./mutationRequest.ts";
import { OutboxError } from "./OutboxError.ts";
import type { StoredOutboxResult } from "./records.ts";
import { isOutboxOperation, Transport } from "./transport.ts";

export interface OutboxExchangeInput {
  /** The Client set the exchange up: the transport for the outbox's own requests. */
  bound(transport: Transport): void;
  /** Stores a caller's mutation (unless its key is known); listener hears the answer. */
  enqueue(request: MutationRequest, listener: Listener): Promise<void>;
}

export function outboxExchange(outbox: OutboxExchangeInput): Exchange {
  let bound = false;
  return ({ forward, client }) => {
    if (bound) throw new Error("an Outbox serves one urql Client");
    bound = true;
    const sends = makeSubject<Operation>();
    const deliveries = makeSubject<OperationResult>();
    const transport = new Transport(client, (operation) => sends.next(operation));
    const deliver = (result: OperationResult) => queueMicrotask(() => deliveries.next(result));
    outbox.bound(transport);

    return (operations$) => {
      const shared$ = share(operations$);
      const results$ = share(
        forward(
          merge([
            pipe(
              shared$,
              filter((operation) => operation.kind !== "mutation"),
            ),
            sends.source,
          ]),
        ),
      );
      const ownResults$ = pipe(
        results$,
        filter((result) => isOutboxOperation(result.operation)),
        onPush((result) => transport.received(result)),
        filter(() => false),
      );
      const passedThrough$ = pipe(
        results$,
        filter((result) => !isOutboxOperation(result.operation)),
      );
      const accepted$ = pipe(
        shared$,
        filter((operation) => operation.kind === "mutation"),
        onPush((operation) => accept(outbox, operation, deliver)),
        filter(() => false),
      ) as unknown as Source<OperationResult>;
      return merge([passedThrough$, ownResults$, accepted$, deliveries.source]);
    };
  };
}

/** A mutation from a urql caller: stored, then answered when the server has answered. */
function accept(outbox: OutboxExchangeInput, operation: Operation, deliver: (result: OperationResult) => void): void {
  const request = mutationRequest(operation.query, operation.variables ?? {});
  if (request instanceof OutboxError) return deliver(makeErrorResult(operation, request));
  const listener: Listener = (outcome) =>
    deliver("result" in outcome ? urqlResult(operation, outcome.result) : makeErrorResult(operation, outcome.error));
  outbox
    .enqueue(request, listener)
    .catch((error: unknown) =>
      deliver(makeErrorResult(operation, error instanceof Error ? error : new Error(String(error)))),
    );
}

/** A stored result as urql gives it to a caller (errors only when there are some: urql makes an error of an empty list too). */
function urqlResult(operation: Operation, stored: StoredOutboxResult): OperationResult {
  return makeResult(
    operation,
    stored.errors.length ? { data: stored.data as never, errors: stored.errors } : { data: stored.data as never },
  );
}
