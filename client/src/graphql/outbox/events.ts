// What an Outbox reports as it works: for the engine's mode, and for tests.
import type { NetworkError } from "../../errors.ts";
import type { OutboxEntry, StoredOutboxResult } from "./records.ts";

export type OutboxEvent =
  | { type: "enqueued"; entry: OutboxEntry }
  /** attempt counts from 1 for each entry, in this process. */
  | { type: "sending"; entry: OutboxEntry; attempt: number }
  /** No answer from the server (network error, 5xx, 429...): the entry stays first and is sent again after retryInMs or setOnline(true). */
  | { type: "networkFailure"; entry: OutboxEntry; attempt: number; error: NetworkError; retryInMs: number }
  | { type: "result"; entry: OutboxEntry; result: StoredOutboxResult }
  /** Storing a result failed; the mutation is sent again after retryInMs (same key, so the server replays its answer). */
  | { type: "storeFailure"; entry: OutboxEntry; error: unknown; retryInMs: number };

export class OutboxEvents {
  private readonly listeners = new Set<(event: OutboxEvent) => void>();

  /** Returns the function that stops listening. */
  on(listener: (event: OutboxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: OutboxEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the outbox goes on.
      }
    }
  }
}
