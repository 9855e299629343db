// The retry loop: sends the first queued entry, waits for the server's
// answer, stores it, and goes on with the next; with no answer (classify) it
// waits out a backoff and sends the same entry again, with the same key, so
// the server runs it once and replays its answer. Offline, no new attempt
// starts; online again, the wait is cut short.
import { backoffDelayMs, type BackoffLimits } from "@smsync/protocol";
import type { Clock } from "../../time/clock.ts";
import { classify } from "./classify.ts";
import type { DurableQueue } from "./durableQueue.ts";
import type { OutboxEvents } from "./events.ts";
import type { OutboxEntry, StoredOutboxResult } from "./records.ts";
import type { Transport } from "./transport.ts";
import { Wakeup } from "./wakeup.ts";

export class SendLoop {
  /** Woken when there is something new to send (an enqueue, online, close). */
  private readonly idle: Wakeup;
  /** Woken to cut a backoff short (online, clear, close). */
  private readonly backoff: Wakeup;
  private online = true;
  private stopped = false;
  /** Set once the urql Client has set up the exchange: sending starts then. */
  private transport: Transport | undefined;

  constructor(
    private readonly queue: DurableQueue,
    private readonly events: OutboxEvents,
    private readonly limits: BackoffLimits,
    /** The backoff's jitter, in [0, 1). */
    private readonly random: () => number,
    /** The backoff waits are on this clock. */
    clock: Clock,
  ) {
    this.idle = new Wakeup(clock);
    this.backoff = new Wakeup(clock);
  }

  /** Starts sending through the transport (on the next tick); resolves when the loop ends. */
  start(transport: Transport): Promise<void> {
    this.transport = transport;
    return Promise.resolve().then(() => this.run(transport));
  }

  /** Something was enqueued. */
  wake(): void {
    this.idle.wake();
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (online) {
      this.backoff.wake();
      this.idle.wake();
    }
  }

  /** The queue was cleared: a backoff for a dropped entry ends. */
  cleared(): void {
    this.backoff.wake();
  }

  /** Ends the loop: the request in flight is abandoned (its entry stays stored). */
  stop(): void {
    this.stopped = true;
    this.backoff.wake();
    this.idle.wake();
    this.abandonInFlight();
  }

  /** The request in flight, if any, is given up; the loop goes on (or ends, if stopped). */
  abandonInFlight(): void {
    this.transport?.abandonInFlight();
  }

  private async run(transport: Transport): Promise<void> {
    try {
      await this.queue.loaded;
    } catch {
      return; // every enqueue and result() reports the store's error
    }
    let current: OutboxEntry | undefined;
    let attempt = 0;
    while (!this.stopped) {
      const entry = this.queue.first;
      if (!entry || !this.online) {
        await this.idle.wait();
        continue;
      }
      if (entry !== current) {
        current = entry;
        attempt = 0;
      }
      attempt += 1;
      this.events.emit({ type: "sending", entry, attempt });
      const response = await transport.transmit(entry);
      if (this.stopped) return;
      if (!response) continue; // abandoned by clear()
      const classified = classify(response);
      if (classified.kind === "retry") {
        const retryInMs = this.backoffMs(attempt, classified.retryAfterMs);
        this.events.emit({ type: "networkFailure", entry, attempt, error: classified.error, retryInMs });
        await this.backoff.wait({ ms: retryInMs, purpose: "outboxBackoff" });
        continue;
      }
      const result: StoredOutboxResult = {
        idempotencyKey: entry.idempotencyKey,
        operationName: entry.operationName,
        variables: entry.variables,
        data: classified.data,
        errors: classified.errors,
        storedAt: new Date().toISOString(),
      };
      try {
        if (!(await this.queue.answered(entry, result))) continue; // cleared meanwhile
      } catch (error) {
        const retryInMs = this.backoffMs(attempt, undefined);
        this.events.emit({ type: "storeFailure", entry, error, retryInMs });
        await this.backoff.wait({ ms: retryInMs, purpose: "outboxBackoff" });
        continue;
      }
      this.events.emit({ type: "result", entry, result });
      this.queue.tell(entry.idempotencyKey, { result });
    }
  }

  /** The protocol's backoff, but at least the server's Retry-After, and never beyond the cap. */
  private backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    return Math.min(
      this.limits.capMs,
      Math.max(backoffDelayMs(attempt, this.limits, this.random), Math.round(retryAfterMs ?? 0)),
    );
  }
}
