// The outbox's own requests through the urql Client's exchanges (to the
// fetch exchange), one at a time: a queued entry goes out as a mutation
// operation marked as the outbox's, and its result comes back here, not to
// a caller. A request can be abandoned (clear, close): its fetch is torn down.
import { createRequest, makeOperation, type Client, type Operation, type OperationResult } from "@urql/core";
import type { OutboxEntry } from "./records.ts";

const outboxContextKey = "smsyncOutboxSequence";

/** An operation the outbox sent itself (its result is the outbox's, not a caller's). */
export function isOutboxOperation(operation: Operation): boolean {
  return operation.context[outboxContextKey] !== undefined;
}

export class Transport {
  private inFlight: { operation: Operation; resolve: (result: OperationResult | undefined) => void } | undefined;

  constructor(
    private readonly client: Client,
    /** Puts an operation into the exchanges after the outbox's. */
    private readonly send: (operation: Operation) => void,
  ) {}

  /**
   * Sends the entry with the Client's own context (url, fetchOptions: a
   * caller's per-call context is not stored, so a replay could not have it);
   * resolves with its result, or undefined if abandoned meanwhile.
   */
  transmit(entry: OutboxEntry): Promise<OperationResult | undefined> {
    const operation = this.client.createRequestOperation("mutation", createRequest(entry.query, entry.variables), {
      requestPolicy: "network-only",
      [outboxContextKey]: entry.sequence,
    });
    return new Promise((resolve) => {
      this.inFlight = { operation, resolve };
      this.send(operation);
    });
  }

  /** A result of one of the outbox's operations, from the exchanges. */
  received(result: OperationResult): void {
    const inFlight = this.inFlight;
    if (!inFlight || inFlight.operation.key !== result.operation.key || result.hasNext) return;
    this.inFlight = undefined;
    inFlight.resolve(result);
  }

  /** Abandons the request in flight, if any: the fetch is aborted and transmit resolves with undefined. */
  abandonInFlight(): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    this.inFlight = undefined;
    this.send(makeOperation("teardown", inFlight.operation, inFlight.operation.context));
    inFlight.resolve(undefined);
  }
}
