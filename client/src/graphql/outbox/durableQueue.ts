// The outbox's queue: the mutations waiting to be sent, in the order they
// were enqueued, mirrored in the store's "outbox" collection, and the
// answers kept in "outboxResults" by idempotency key. Every change is one
// store commit, made in turn with the others (so each sees the ones before),
// and an entry leaves the queue in the commit that stores its answer.
// Whoever waits for a key's answer is told when it is stored.
import { sequenceKey, type ClientStore } from "../../store/ClientStore.ts";
import { checkSameRequest, type MutationRequest } from "./mutationRequest.ts";
import { closedError, OutboxError } from "./OutboxError.ts";
import type { OutboxEntry, StoredOutboxResult } from "./records.ts";

/** Who waits for the answer to a key: result() callers and urql operations. */
export type Listener = (outcome: { result: StoredOutboxResult } | { error: Error }) => void;

export class DurableQueue {
  /** Pending entries in order; the first is the one being sent. */
  private readonly entries: OutboxEntry[] = [];
  private nextSequence = 0;
  /** The stored entries, read once; every step awaits it. */
  readonly loaded: Promise<void>;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Set by the Outbox's close(): no more enqueues or waits. */
  closed = false;

  constructor(
    private readonly store: ClientStore,
    /** Told of each entry stored by enqueue. */
    private readonly enqueued: (entry: OutboxEntry) => void,
  ) {
    this.loaded = this.load();
    this.loaded.catch(() => undefined); // reported by every call that awaits it
  }

  /** The entry to send now, if any. */
  get first(): OutboxEntry | undefined {
    return this.entries[0];
  }

  /** Runs the step after all the steps before it. */
  serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined); // the next step runs after a failed one; the failure is the caller's (run)
    return run;
  }

  /**
   * Stores the request unless its key is already pending or answered;
   * listener (if given) is registered in the same step, so it hears the answer.
   */
  enqueue(request: MutationRequest, listener?: Listener): Promise<void> {
    return this.serialized(async () => {
      await this.loaded;
      if (this.closed) throw closedError();
      const pending = this.pendingEntry(request.idempotencyKey);
      if (pending) {
        checkSameRequest(pending, request);
        if (listener) this.listen(request.idempotencyKey, listener);
        return;
      }
      const stored = await this.storedResult(request.idempotencyKey);
      if (stored) {
        checkSameRequest(stored, request);
        listener?.({ result: stored });
        return;
      }
      const entry: OutboxEntry = { sequence: this.nextSequence++, ...request, enqueuedAt: new Date().toISOString() };
      await this.store.commit([{ op: "put", collection: "outbox", key: sequenceKey(entry.sequence), value: entry }]);
      this.entries.push(entry);
      if (listener) this.listen(request.idempotencyKey, listener);
      this.enqueued(entry);
    });
  }

  /** The answer to a key: at once if stored, else once it is; OUTBOX_UNKNOWN_KEY if the key is neither pending nor answered. */
  answer(idempotencyKey: string): Promise<StoredOutboxResult> {
    return new Promise<StoredOutboxResult>((resolve, reject) => {
      this.serialized(async () => {
        await this.loaded;
        if (this.pendingEntry(idempotencyKey)) {
          if (this.closed) throw closedError();
          this.listen(idempotencyKey, (outcome) =>
            "result" in outcome ? resolve(outcome.result) : reject(outcome.error),
          );
          return;
        }
        const stored = await this.storedResult(idempotencyKey);
        if (!stored)
          throw new OutboxError(
            "OUTBOX_UNKNOWN_KEY",
            `no pending mutation or stored result has the idempotency key ${JSON.stringify(idempotencyKey)}`,
          );
        resolve(stored);
      }).catch(reject);
    });
  }

  /** The stored answer to a key, removed from the store in the same step. */
  takeAnswer(idempotencyKey: string): Promise<StoredOutboxResult | undefined> {
    return this.serialized(async () => {
      const stored = await this.storedResult(idempotencyKey);
      if (!stored) return undefined;
      await this.store.commit([{ op: "delete", collection: "outboxResults", key: idempotencyKey }]);
      return stored;
    });
  }

  /**
   * Stores the answer to the entry and removes the entry, in one commit.
   * False (nothing stored) when the entry is no longer first: clear()
   * dropped it meanwhile.
   */
  answered(entry: OutboxEntry, result: StoredOutboxResult): Promise<boolean> {
    return this.serialized(async () => {
      if (this.entries[0] !== entry) return false;
      await this.store.commit([
        { op: "put", collection: "outboxResults", key: entry.idempotencyKey, value: result },
        { op: "delete", collection: "outbox", key: sequenceKey(entry.sequence) },
      ]);
      this.entries.shift();
      return true;
    });
  }

  /** Copies of the pending entries, in order. */
  async pending(): Promise<OutboxEntry[]> {
    await this.loaded;
    return this.entries.map((entry) => structuredClone(entry));
  }

  async storedResults(): Promise<StoredOutboxResult[]> {
    return (await this.store.list("outboxResults")).map((entry) => entry.value);
  }

  /** Drops every entry and stored answer in one commit; `dropping` runs in the same step. Whoever waited for a dropped key gets OUTBOX_CLEARED. */
  async clear(dropping: () => void): Promise<void> {
    const dropped = await this.serialized(async () => {
      await this.loaded;
      await this.store.commit([
        { op: "clear", collection: "outbox" },
        { op: "clear", collection: "outboxResults" },
      ]);
      dropping();
      return this.entries.splice(0);
    });
    for (const entry of dropped) {
      this.tell(entry.idempotencyKey, {
        error: new OutboxError(
          "OUTBOX_CLEARED",
          `mutation ${entry.operationName ?? ""} (${entry.idempotencyKey}) was dropped by clear()`,
        ),
      });
    }
  }

  /** After the steps under way: whoever still waits gets OUTBOX_CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    const error = closedError();
    for (const key of [...this.listeners.keys()]) this.tell(key, { error });
  }

  private async load(): Promise<void> {
    const entries = await this.store.list("outbox");
    for (const { value } of entries) this.entries.push(value);
    const last = this.entries.at(-1);
    this.nextSequence = last ? last.sequence + 1 : 0;
  }

  private pendingEntry(idempotencyKey: string): OutboxEntry | undefined {
    return this.entries.find((entry) => entry.idempotencyKey === idempotencyKey);
  }

  private storedResult(idempotencyKey: string): Promise<StoredOutboxResult | undefined> {
    return this.store.get("outboxResults", idempotencyKey);
  }

  private listen(key: string, listener: Listener): void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
  }

  /** Tells whoever waits for the key, once. */
  tell(key: string, outcome: Parameters<Listener>[0]): void {
    const set = this.listeners.get(key);
    this.listeners.delete(key);
    for (const listener of set ?? []) listener(outcome);
  }
}
