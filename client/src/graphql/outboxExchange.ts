// The durable, serial outbox: every mutation is written to the client store
// with its idempotency key before it is sent, sent one at a time in the
// order it was enqueued, retried after network failures (capped exponential
// backoff with jitter, or at once when the app says it is online again), and
// removed in the same store commit that records its result. A new Outbox over
// the same store (after a relaunch) sends what the last one left, in order;
// the server runs each key once and replays its stored response to a retry.
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
// An answer is data, or the server's typed GraphQL errors (LOCK_HELD is an
// answer, for the engine to act on), or an HTTP 4xx other than 408 and 429.
// No answer (no connection, a cut response, 5xx, 429, 408) is retried.
// A mutation is sent with the urql Client's own context (url, fetchOptions):
// a caller's per-call context is not stored, so a replay could not have it.
//
// One Outbox per store at a time, attached to one urql Client.
import {
  createRequest,
  getOperationName,
  makeErrorResult,
  makeOperation,
  makeResult,
  stringifyDocument,
  type Client,
  type Exchange,
  type Operation,
  type OperationResult,
  type TypedDocumentNode,
} from "@urql/core";
import { filter, makeSubject, merge, onPush, pipe, share, type Source } from "wonka";
import { NetworkError, ServerError, SmsyncClientError } from "../errors.ts";
import { sequenceKey, type ClientStore, type StoreChange } from "../store/ClientStore.ts";

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

/** What an Outbox reports as it works: for the engine's mode, and for tests. */
export type OutboxEvent =
  | { type: "enqueued"; entry: OutboxEntry }
  /** attempt counts from 1 for each entry, in this process. */
  | { type: "sending"; entry: OutboxEntry; attempt: number }
  /** No answer from the server (network error, 5xx, 429...): the entry stays first and is sent again after retryInMs or setOnline(true). */
  | { type: "networkFailure"; entry: OutboxEntry; attempt: number; error: NetworkError; retryInMs: number }
  | { type: "result"; entry: OutboxEntry; result: StoredOutboxResult }
  /** Storing a result failed; the mutation is sent again after retryInMs (same key, so the server replays its answer). */
  | { type: "storeFailure"; entry: OutboxEntry; error: unknown; retryInMs: number };

export interface OutboxOptions {
  /** Backoff after a network failure: the ceiling starts at initialMs and doubles per attempt up to maxMs; the delay is drawn between half the ceiling and the ceiling. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** For tests: the source of jitter, in [0, 1). */
  random?: () => number;
}

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

type Variables = Record<string, unknown>;

/** Who waits for the answer to a key: result() callers and urql operations. */
type Listener = (outcome: { result: StoredOutboxResult } | { error: Error }) => void;

/** The urql side of the outbox, bound when the exchange is set up by a Client. */
interface Transport {
  client: Client;
  send(operation: Operation): void;
  deliver(result: OperationResult): void;
}

type Classified =
  | { kind: "answer"; data: unknown; errors: StoredGraphQLError[] }
  | { kind: "retry"; error: NetworkError; retryAfterMs: number | undefined };

const outboxContextKey = "smsyncOutboxSequence";

export class Outbox {
  /** The exchange for the urql Client: put it first in the exchanges list. */
  readonly exchange: Exchange;

  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  /** Pending entries in order; the first is the one being sent. Mirrors the "outbox" collection. */
  private readonly queue: OutboxEntry[] = [];
  private nextSequence = 0;
  private readonly loaded: Promise<void>;
  /** Enqueues and result lookups run one after another, so each sees the ones before. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly eventListeners = new Set<(event: OutboxEvent) => void>();
  /** Woken when there is something new to send (an enqueue, online, close). */
  private readonly idleWakers = new Set<() => void>();
  /** Woken to cut a backoff short (online, close). */
  private readonly backoffWakers = new Set<() => void>();
  private transport: Transport | undefined;
  private inFlight: { operation: Operation; resolve: (result: OperationResult | undefined) => void } | undefined;
  private running: Promise<void> | undefined;
  private online = true;
  private closed = false;

  constructor(
    private readonly store: ClientStore,
    options: OutboxOptions = {},
  ) {
    this.initialMs = options.backoff?.initialMs ?? 500;
    this.maxMs = options.backoff?.maxMs ?? 60_000;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) throw new RangeError("backoff needs 0 < initialMs <= maxMs");
    this.random = options.random ?? Math.random;
    this.loaded = this.load();
    this.loaded.catch(() => undefined); // reported by every call that awaits it
    this.exchange = (input) => this.setUpExchange(input);
  }

  // The engine's API

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
    const request = mutationRequest(document, variables as Variables);
    if (request instanceof OutboxError) throw request;
    await this.enqueueRequest(request);
    return request.idempotencyKey;
  }

  /**
   * The server's answer to the mutation with this key: at once if it is
   * stored, else once it arrives (across network loss; an Outbox created
   * after a relaunch answers for what the last one enqueued). Rejects with
   * OUTBOX_UNKNOWN_KEY if the key is neither pending nor answered (it was
   * never enqueued, or its result was taken): enqueue it again, with the same key.
   */
  result<TData = unknown>(idempotencyKey: string): Promise<OutboxResult<TData>> {
    return new Promise<StoredOutboxResult>((resolve, reject) => {
      this.serialized(async () => {
        await this.loaded;
        if (this.queue.some((entry) => entry.idempotencyKey === idempotencyKey)) {
          if (this.closed) throw closedError();
          this.listen(idempotencyKey, (outcome) => ("result" in outcome ? resolve(outcome.result) : reject(outcome.error)));
          return;
        }
        const stored = await this.store.get("outboxResults", idempotencyKey);
        if (!stored) throw new OutboxError("OUTBOX_UNKNOWN_KEY", `no pending mutation or stored result has the idempotency key ${JSON.stringify(idempotencyKey)}`);
        resolve(stored);
      }).catch(reject);
    }).then((stored) => typedResult<TData>(stored));
  }

  /** enqueue, then result. */
  async send<TData, TVariables extends { idempotencyKey: string }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<OutboxResult<TData>> {
    return this.result<TData>(await this.enqueue(document, variables));
  }

  /** The stored result of a key, removed from the store in the same step (undefined if there is none). */
  takeResult<TData = unknown>(idempotencyKey: string): Promise<OutboxResult<TData> | undefined> {
    return this.serialized(async () => {
      const stored = await this.store.get("outboxResults", idempotencyKey);
      if (!stored) return undefined;
      await this.store.commit([this.resultRemoval(idempotencyKey)]);
      return typedResult<TData>(stored);
    });
  }

  /** The change that removes a stored result: for the engine to commit with what it did with that result, in one step. */
  resultRemoval(idempotencyKey: string): StoreChange {
    return { op: "delete", collection: "outboxResults", key: idempotencyKey };
  }

  /** The mutations waiting to be sent, in order (the first may be in flight). */
  async pending(): Promise<OutboxEntry[]> {
    await this.loaded;
    return this.queue.map((entry) => structuredClone(entry));
  }

  /** The results stored and not yet taken. */
  async storedResults(): Promise<StoredOutboxResult[]> {
    return (await this.store.list("outboxResults")).map((entry) => entry.value);
  }

  /**
   * What the app knows of the network: offline, no new attempt starts (one in
   * flight finishes); online again, the first entry is sent at once, without
   * waiting out its backoff.
   */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) {
      wakeAll(this.backoffWakers);
      wakeAll(this.idleWakers);
    }
  }

  /** Listens to what the outbox does; returns the function that stops listening. */
  on(listener: (event: OutboxEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /**
   * The local half of a reset: drops every pending mutation and every stored
   * result, in one store commit. A request in flight is abandoned (the server
   * may have run it: its key is then simply never asked again); whoever
   * waits for a dropped key gets OUTBOX_CLEARED.
   */
  async clear(): Promise<void> {
    const dropped = await this.serialized(async () => {
      await this.loaded;
      await this.store.commit([
        { op: "clear", collection: "outbox" },
        { op: "clear", collection: "outboxResults" },
      ]);
      this.abandonInFlight();
      return this.queue.splice(0);
    });
    wakeAll(this.backoffWakers);
    for (const entry of dropped) {
      this.settle(entry.idempotencyKey, { error: new OutboxError("OUTBOX_CLEARED", `mutation ${entry.operationName ?? ""} (${entry.idempotencyKey}) was dropped by clear()`) });
    }
  }

  /**
   * Stops sending: a request in flight is abandoned (its entry stays stored,
   * to be sent again by the next Outbox), and whoever waits for a pending
   * result gets OUTBOX_CLOSED. The store is left open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    wakeAll(this.backoffWakers);
    wakeAll(this.idleWakers);
    this.abandonInFlight();
    await this.running;
    await this.chain;
    const error = closedError();
    for (const key of [...this.listeners.keys()]) this.settle(key, { error });
  }

  // Storing

  private async load(): Promise<void> {
    const entries = await this.store.list("outbox");
    for (const { value } of entries) this.queue.push(value);
    const last = this.queue.at(-1);
    this.nextSequence = last ? last.sequence + 1 : 0;
  }

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.chain.then(step);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stores the request unless its key is already pending or answered;
   * listener (if given) is registered in the same step, so it hears the answer.
   */
  private enqueueRequest(request: MutationRequest, listener?: Listener): Promise<void> {
    return this.serialized(async () => {
      await this.loaded;
      if (this.closed) throw closedError();
      const pending = this.queue.find((entry) => entry.idempotencyKey === request.idempotencyKey);
      if (pending) {
        checkSameRequest(pending, request);
        if (listener) this.listen(request.idempotencyKey, listener);
        return;
      }
      const stored = await this.store.get("outboxResults", request.idempotencyKey);
      if (stored) {
        checkSameRequest(stored, request);
        listener?.({ result: stored });
        return;
      }
      const entry: OutboxEntry = { sequence: this.nextSequence++, ...request, enqueuedAt: new Date().toISOString() };
      await this.store.commit([{ op: "put", collection: "outbox", key: sequenceKey(entry.sequence), value: entry }]);
      this.queue.push(entry);
      if (listener) this.listen(request.idempotencyKey, listener);
      this.emit({ type: "enqueued", entry });
      wakeAll(this.idleWakers);
    });
  }

  private listen(key: string, listener: Listener): void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
  }

  private settle(key: string, outcome: Parameters<Listener>[0]): void {
    const set = this.listeners.get(key);
    this.listeners.delete(key);
    for (const listener of set ?? []) listener(outcome);
  }

  private emit(event: OutboxEvent): void {
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the outbox goes on.
      }
    }
  }

  // Sending, one at a time

  private async run(): Promise<void> {
    try {
      await this.loaded;
    } catch {
      return; // every enqueue and result() reports the store's error
    }
    let current: OutboxEntry | undefined;
    let attempt = 0;
    while (!this.closed) {
      const entry = this.queue[0];
      if (!entry || !this.online) {
        await wait(this.idleWakers);
        continue;
      }
      if (entry !== current) {
        current = entry;
        attempt = 0;
      }
      attempt += 1;
      this.emit({ type: "sending", entry, attempt });
      const response = await this.transmit(entry);
      if (this.closed) return;
      if (!response) continue; // abandoned by clear()
      const classified = classify(response);
      if (classified.kind === "retry") {
        const retryInMs = this.backoffMs(attempt, classified.retryAfterMs);
        this.emit({ type: "networkFailure", entry, attempt, error: classified.error, retryInMs });
        await wait(this.backoffWakers, retryInMs);
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
        // In turn with enqueue and clear, so a cleared entry's result is not stored.
        const stored = await this.serialized(async () => {
          if (this.queue[0] !== entry) return false;
          await this.store.commit([
            { op: "put", collection: "outboxResults", key: entry.idempotencyKey, value: result },
            { op: "delete", collection: "outbox", key: sequenceKey(entry.sequence) },
          ]);
          this.queue.shift();
          return true;
        });
        if (!stored) continue;
      } catch (error) {
        const retryInMs = this.backoffMs(attempt, undefined);
        this.emit({ type: "storeFailure", entry, error, retryInMs });
        await wait(this.backoffWakers, retryInMs);
        continue;
      }
      this.emit({ type: "result", entry, result });
      this.settle(entry.idempotencyKey, { result });
    }
  }

  /** Abandons the request in flight, if any: the fetch is aborted and the loop goes on (or ends, if closed). */
  private abandonInFlight(): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    this.inFlight = undefined;
    this.transport?.send(makeOperation("teardown", inFlight.operation, inFlight.operation.context));
    inFlight.resolve(undefined);
  }

  /** Sends the entry down the exchanges (to the fetch exchange); resolves with its result, or undefined if abandoned meanwhile. */
  private transmit(entry: OutboxEntry): Promise<OperationResult | undefined> {
    const transport = this.transport!;
    const operation = transport.client.createRequestOperation("mutation", createRequest(entry.query, entry.variables), {
      requestPolicy: "network-only",
      [outboxContextKey]: entry.sequence,
    });
    return new Promise((resolve) => {
      this.inFlight = { operation, resolve };
      transport.send(operation);
    });
  }

  private received(result: OperationResult): void {
    const inFlight = this.inFlight;
    if (!inFlight || inFlight.operation.key !== result.operation.key || result.hasNext) return;
    this.inFlight = undefined;
    inFlight.resolve(result);
  }

  private backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(attempt - 1, 52));
    const jittered = ceiling / 2 + (this.random() * ceiling) / 2;
    return Math.round(Math.min(this.maxMs, Math.max(jittered, retryAfterMs ?? 0)));
  }

  // The exchange

  private setUpExchange({ forward, client }: Parameters<Exchange>[0]): ReturnType<Exchange> {
    if (this.transport) throw new Error("an Outbox serves one urql Client");
    const sends = makeSubject<Operation>();
    const deliveries = makeSubject<OperationResult>();
    this.transport = { client, send: (operation) => sends.next(operation), deliver: (result) => deliveries.next(result) };
    this.running = Promise.resolve().then(() => this.run());

    return (operations$) => {
      const shared$ = share(operations$);
      const results$ = share(forward(merge([pipe(shared$, filter((operation) => operation.kind !== "mutation")), sends.source])));
      const ownResults$ = pipe(
        results$,
        filter((result) => isOutboxOperation(result.operation)),
        onPush((result) => this.received(result)),
        filter(() => false),
      );
      const passedThrough$ = pipe(
        results$,
        filter((result) => !isOutboxOperation(result.operation)),
      );
      const accepted$ = pipe(
        shared$,
        filter((operation) => operation.kind === "mutation"),
        onPush((operation) => this.accept(operation)),
        filter(() => false),
      ) as unknown as Source<OperationResult>;
      return merge([passedThrough$, ownResults$, accepted$, deliveries.source]);
    };
  }

  /** A mutation from a urql caller: stored, then answered when the server has answered. */
  private accept(operation: Operation): void {
    const deliver = (result: OperationResult) => queueMicrotask(() => this.transport!.deliver(result));
    const request = mutationRequest(operation.query, (operation.variables ?? {}) as Variables);
    if (request instanceof OutboxError) return deliver(makeErrorResult(operation, request));
    const listener: Listener = (outcome) => deliver("result" in outcome ? urqlResult(operation, outcome.result) : makeErrorResult(operation, outcome.error));
    this.enqueueRequest(request, listener).catch((error: unknown) =>
      deliver(makeErrorResult(operation, error instanceof Error ? error : new Error(String(error)))),
    );
  }
}

interface MutationRequest {
  idempotencyKey: string;
  operationName: string | null;
  query: string;
  variables: Variables;
}

function mutationRequest(document: Parameters<typeof stringifyDocument>[0], variables: Variables): MutationRequest | OutboxError {
  const idempotencyKey = variables.idempotencyKey;
  const operationName = getOperationName(document as never) ?? null;
  if (typeof idempotencyKey !== "string" || idempotencyKey.length === 0) {
    return new OutboxError(
      "IDEMPOTENCY_KEY_MISSING",
      `mutation ${operationName ?? "(anonymous)"} has no idempotencyKey variable: it could not be replayed safely`,
    );
  }
  // The JSON form, as the store will give it back.
  return { idempotencyKey, operationName, query: stringifyDocument(document), variables: JSON.parse(JSON.stringify(variables)) as Variables };
}

function checkSameRequest(known: { operationName: string | null; variables: Variables }, request: MutationRequest): void {
  if (known.operationName !== request.operationName || stableJson(known.variables) !== stableJson(request.variables)) {
    throw new OutboxError(
      "IDEMPOTENCY_KEY_REUSED",
      `idempotency key ${JSON.stringify(request.idempotencyKey)} is already used for another ${known.operationName ?? "mutation"} request`,
    );
  }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function isOutboxOperation(operation: Operation): boolean {
  return operation.context[outboxContextKey] !== undefined;
}

/**
 * A result from the fetch exchange: the server's answer (data, or typed
 * GraphQL errors, or a 4xx that no retry will change) or a network failure
 * to retry (no response, a cut response, 5xx, 429, 408, and
 * IDEMPOTENCY_IN_PROGRESS, which says the first request with this key still runs).
 */
function classify(result: OperationResult): Classified {
  const error = result.error;
  const response = error?.response as { status?: unknown; statusText?: string; headers?: { get(name: string): string | null } } | undefined;
  const status = typeof response?.status === "number" ? response.status : undefined;
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) {
    return {
      kind: "retry",
      error: new NetworkError(`the server answered HTTP ${status}`, { cause: error }),
      retryAfterMs: retryAfterMs(response?.headers?.get("retry-after") ?? null),
    };
  }
  if (error?.networkError) {
    if (status !== undefined && status >= 400) {
      return {
        kind: "answer",
        data: null,
        errors: [{ message: `HTTP ${status} ${response?.statusText ?? ""}`.trim(), extensions: { code: `HTTP_${status}`, status } }],
      };
    }
    return { kind: "retry", error: new NetworkError(error.networkError.message, { cause: error.networkError }), retryAfterMs: undefined };
  }
  const errors: StoredGraphQLError[] = (error?.graphQLErrors ?? []).map((graphQLError) => ({
    message: graphQLError.message,
    ...(graphQLError.path ? { path: [...graphQLError.path] } : {}),
    ...(graphQLError.extensions ? { extensions: JSON.parse(JSON.stringify(graphQLError.extensions)) as Record<string, unknown> } : {}),
  }));
  if (errors.some((stored) => stored.extensions?.code === "IDEMPOTENCY_IN_PROGRESS")) {
    return { kind: "retry", error: new NetworkError(errors[0].message, { cause: error }), retryAfterMs: undefined };
  }
  if (result.data === undefined && errors.length === 0) {
    return { kind: "retry", error: new NetworkError("the server's answer had neither data nor errors"), retryAfterMs: undefined };
  }
  return { kind: "answer", data: result.data ?? null, errors };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A stored result as urql gives it to a caller (errors only when there are some: urql makes an error of an empty list too). */
function urqlResult(operation: Operation, stored: StoredOutboxResult): OperationResult {
  return makeResult(operation, stored.errors.length ? { data: stored.data as never, errors: stored.errors as never } : { data: stored.data as never });
}

function typedResult<TData>(stored: StoredOutboxResult): OutboxResult<TData> {
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

function closedError(): OutboxError {
  return new OutboxError("OUTBOX_CLOSED", "the outbox is closed; its pending mutations stay stored for the next one");
}

/** Resolves on the next wake of this set, or after ms. */
function wait(wakers: Set<() => void>, ms?: number): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      wakers.delete(done);
      resolve();
    };
    wakers.add(done);
    if (ms !== undefined) timer = setTimeout(done, ms);
  });
}

function wakeAll(wakers: Set<() => void>): void {
  for (const wake of [...wakers]) wake();
}
