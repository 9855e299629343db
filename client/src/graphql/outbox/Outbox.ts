// The durable, serial outbox: every mutation is written to the client store
// with its idempotency key before it is sent, sent one at a time in the
// order it was enqueued, retried after network failures (capped exponential
// backoff with full jitter, or at once when the app says it is online
// again), and removed in the same store commit that records its result. A
// new Outbox over the same store (after a relaunch) sends what the last one
// left, in order; the server runs each key once and replays its stored
// response to a retry.
//
// urql's own offlineExchange cannot do this: it queues only optimistic
// mutations and replays them all at once (see /work/shared/DEPENDENCIES.md).
//
// Two ways in, one queue:
// - `client.mutation(doc, vars)` through `outbox.exchange`: the caller's
//   result arrives once the server has answered, however long that takes;
// - `outbox.enqueue` / `outbox.result` / `outbox.send`: what the sync engine
//   uses, as they also work across a relaunch (results are kept by key in the
//   store until the engine takes them).
//
// The parts: durableQueue.ts (what is stored, in turn), sendLoop.ts (the
// retries), classify.ts (answer or retry: the rules are in its header),
// transport.ts and exchange.ts (the urql wiring). One Outbox per store at a
// time, attached to one urql Client.
import type { Exchange, TypedDocumentNode } from "@urql/core";
import type { StoreChange, ClientStore } from "../../store/ClientStore.ts";
import { DurableQueue } from "./durableQueue.ts";
import { OutboxEvents, type OutboxEvent } from "./events.ts";
import { outboxExchange } from "./exchange.ts";
import { mutationRequest } from "./mutationRequest.ts";
import { OutboxError } from "./OutboxError.ts";
import { typedResult, type OutboxEntry, type OutboxResult, type StoredOutboxResult } from "./records.ts";
import { SendLoop } from "./sendLoop.ts";
import { systemClock, type Clock } from "../../time/clock.ts";

export interface OutboxOptions {
  /** Backoff after a network failure: the ceiling starts at initialMs and doubles per attempt up to maxMs; the delay is drawn between 0 and the ceiling (full jitter). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** For tests: the source of jitter, in [0, 1). */
  random?: () => number;
  /** For tests: the clock the backoff waits on (default the system's; MovableClock lets a test move past a backoff). */
  clock?: Clock;
}

export class Outbox {
  /** The exchange for the urql Client: put it first in the exchanges list. */
  readonly exchange: Exchange;

  private readonly queue: DurableQueue;
  private readonly events = new OutboxEvents();
  private readonly loop: SendLoop;
  private running: Promise<void> | undefined;

  constructor(store: ClientStore, options: OutboxOptions = {}) {
    const limits = { baseMs: options.backoff?.initialMs ?? 500, capMs: options.backoff?.maxMs ?? 60_000 };
    if (!(limits.baseMs > 0) || !(limits.capMs >= limits.baseMs))
      throw new RangeError("backoff needs 0 < initialMs <= maxMs");
    const random = options.random ?? Math.random;
    this.queue = new DurableQueue(store, (entry) => {
      this.events.emit({ type: "enqueued", entry });
      this.loop.wake();
    });
    this.loop = new SendLoop(this.queue, this.events, limits, random, options.clock ?? systemClock);
    this.exchange = outboxExchange({
      bound: (transport) => {
        this.running = this.loop.start(transport);
      },
      enqueue: (request, listener) => this.queue.enqueue(request, listener),
    });
  }

  /**
   * Stores the mutation (one store commit) and resolves with its idempotency
   * key once it is stored; it is then sent in its turn. Enqueueing a key that
   * is already pending or answered stores nothing more (the same key with
   * another request is refused with IDEMPOTENCY_KEY_REUSED).
   */
  async enqueue<TData, TVariables extends { idempotencyKey: string }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<string> {
    const request = mutationRequest(document, variables);
    if (request instanceof OutboxError) throw request;
    await this.queue.enqueue(request);
    return request.idempotencyKey;
  }

  /**
   * The server's answer to the mutation with this key: at once if it is
   * stored, else once it arrives (across network loss; an Outbox created
   * after a relaunch answers for what the last one enqueued). Rejects with
   * OUTBOX_UNKNOWN_KEY if the key is neither pending nor answered (it was
   * never enqueued, or its result was taken): enqueue it again, with the same key.
   */
  async result<TData = unknown>(idempotencyKey: string): Promise<OutboxResult<TData>> {
    return typedResult<TData>(await this.queue.answer(idempotencyKey));
  }

  /** enqueue, then result. */
  async send<TData, TVariables extends { idempotencyKey: string }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<OutboxResult<TData>> {
    return this.result<TData>(await this.enqueue(document, variables));
  }

  /** The stored result of a key, removed from the store in the same step (undefined if there is none). */
  async takeResult<TData = unknown>(idempotencyKey: string): Promise<OutboxResult<TData> | undefined> {
    const stored = await this.queue.takeAnswer(idempotencyKey);
    return stored && typedResult<TData>(stored);
  }

  /** The change that removes a stored result: for the engine to commit with what it did with that result, in one step. */
  resultRemoval(idempotencyKey: string): StoreChange {
    return { op: "delete", collection: "outboxResults", key: idempotencyKey };
  }

  /** The mutations waiting to be sent, in order (the first may be in flight). */
  pending(): Promise<OutboxEntry[]> {
    return this.queue.pending();
  }

  /** The results stored and not yet taken. */
  storedResults(): Promise<StoredOutboxResult[]> {
    return this.queue.storedResults();
  }

  /**
   * What the app knows of the network: offline, no new attempt starts (one in
   * flight finishes); online again, the first entry is sent at once, without
   * waiting out its backoff.
   */
  setOnline(online: boolean): void {
    this.loop.setOnline(online);
  }

  /** Listens to what the outbox does; returns the function that stops listening. */
  on(listener: (event: OutboxEvent) => void): () => void {
    return this.events.on(listener);
  }

  /**
   * The local half of a reset: drops every pending mutation and every stored
   * result, in one store commit. A request in flight is abandoned (the server
   * may have run it: its key is then simply never asked again); whoever
   * waits for a dropped key gets OUTBOX_CLEARED.
   */
  async clear(): Promise<void> {
    await this.queue.clear(() => this.loop.abandonInFlight());
    this.loop.cleared();
  }

  /**
   * Stops sending: a request in flight is abandoned (its entry stays stored,
   * to be sent again by the next Outbox), and whoever waits for a pending
   * result gets OUTBOX_CLOSED. The store is left open.
   */
  async close(): Promise<void> {
    if (this.queue.closed) return;
    this.queue.closed = true;
    this.loop.stop();
    await this.running;
    await this.queue.close();
  }
}
