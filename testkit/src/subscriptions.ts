// Subscribing from tests, over graphql-ws (the ws package's WebSocket, as
// Node 20 has none) and over SSE (graphql-sse's client, "distinct
// connections" mode, which is what Yoga serves), with one view of the
// results for both: LiveSubscription. Also a cloud whose writes the test
// lets through one at a time, to hold a transfer mid-way, and a count of
// the server's live event followers, to know when a subscription is set up
// on the server and when it has been torn down.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import WebSocket from "ws";
import {
  authenticate,
  type Caller,
  type CloudObject,
  type CloudObjectKey,
  type CloudObjectMetadata,
  type CloudStorage,
  LocalDirectoryStorage,
} from "@smsync/api";
import type { TestGraphQLClient } from "./graphqlClient.ts";
import type { TestServer } from "./testServer.ts";
import { tusUpload } from "./uploads.ts";
import type { Tuple } from "./tuple.ts";
import { waitForChange } from "./waitForChange.ts";

export type Transport = "ws" | "sse";
export const transports: Transport[] = ["ws", "sse"];

const defaultWaitMs = 90_000;

export const transferProgressQuery = `subscription($id: ID!, $after: Int) {
  transferProgress(operationId: $id, after: $after) {
    seq operationId type state files { fileUUID version bytes } filesDone filesTotal bytesDone bytesTotal errorCode
    errorMessage at
  }
}`;

export const fileIndexChangedQuery = `subscription($after: Int) {
  fileIndexChanged(after: $after) { seq operationId deviceId files { fileUUID version deleted } at }
}`;

export interface TransferEvent {
  seq: number;
  operationId: string;
  type: string;
  state: string | null;
  files: { fileUUID: string; version: number; bytes: number }[] | null;
  filesDone: number | null;
  filesTotal: number | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  at: string;
}

export interface FileIndexChange {
  seq: number;
  operationId: string;
  deviceId: string;
  files: { fileUUID: string; version: number; deleted: boolean }[];
  at: string;
}

interface FormattedError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * The results of one subscription as they arrive: the field's values in
 * `events`, GraphQL errors in `errors`, and how it ended.
 */
export class LiveSubscription<T> {
  readonly events: T[] = [];
  readonly errors: FormattedError[] = [];
  /** Set when the stream ended by an error that is not a GraphQL error (a closed socket, a network error). */
  failure: unknown = undefined;
  completed = false;
  private listeners = new Set<() => void>();
  private readonly disposers: (() => void)[] = [];

  constructor(
    readonly transport: Transport,
    private readonly field: string,
  ) {}

  get ended(): boolean {
    return this.completed || this.failure !== undefined;
  }

  /** The code the server closed the graphql-ws socket with, when that ended the stream. */
  get closeCode(): number | undefined {
    const failure = this.failure as { code?: unknown } | undefined;
    return typeof failure?.code === "number" ? failure.code : undefined;
  }

  /** The codes of the GraphQL errors received so far. */
  get errorCodes(): (string | undefined)[] {
    return this.errors.map((error) => error.extensions?.code);
  }

  /** Resolves once predicate holds; rejects if the stream ends first (or after a generous hang guard). */
  until(predicate: (subscription: this) => boolean, what = "the condition", timeoutMs = defaultWaitMs): Promise<void> {
    return waitForChange(
      this.listeners,
      () =>
        predicate(this) ||
        (this.ended && new Error(`${this.transport} subscription ended before ${what}: ${this.describe()}`)),
      () => new Error(`${this.transport} subscription: no ${what} after ${timeoutMs}ms: ${this.describe()}`),
      timeoutMs,
    );
  }

  /** Resolves with the first n events once they have arrived. */
  async take<N extends number>(n: N): Promise<Tuple<T, N>> {
    await this.until((s) => s.events.length >= n, `${n} events`);
    return this.events.slice(0, n) as Tuple<T, N>;
  }

  /** Resolves with all events once the server has completed the stream; rejects if it ends otherwise. */
  async completion(): Promise<T[]> {
    await this.until((s) => s.completed, "completion");
    if (this.failure !== undefined) throw new Error(`${this.transport} subscription failed: ${this.describe()}`);
    return this.events;
  }

  /** Resolves once the stream has ended in any way (completed, errored, closed). */
  async end(): Promise<void> {
    await this.until((s) => s.ended, "the end");
  }

  /** Drops the subscription from the client side (and with it, the connection). */
  close(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  describe(): string {
    const response = (this.failure as { response?: { status: number; statusText: string } } | undefined)?.response;
    const failure =
      this.failure instanceof Error
        ? `${this.failure.message}${response ? ` (HTTP ${response.status} ${response.statusText})` : ""}`
        : this.failure && typeof this.failure === "object" && "code" in this.failure
          ? `close ${(this.failure as { code: number }).code} ${(this.failure as { reason?: string }).reason ?? ""}`
          : JSON.stringify(this.failure);
    return (
      JSON.stringify({ events: this.events.length, errors: this.errors, completed: this.completed }) +
      (this.failure !== undefined ? ` failure: ${failure}` : "")
    );
  }

  /** @internal What close() does (in the order added). */
  addDispose(dispose: () => void): void {
    this.disposers.push(dispose);
  }

  /** @internal */
  receive(result: { data?: Record<string, unknown> | null; errors?: readonly FormattedError[] }): void {
    if (result.errors?.length) this.errors.push(...result.errors);
    const value = result.data?.[this.field];
    if (value !== undefined && value !== null) this.events.push(value as T);
    this.changed();
  }

  /** @internal */
  fail(error: unknown): void {
    // graphql-ws reports the errors of an `error` message as an array.
    if (Array.isArray(error)) {
      this.errors.push(...(error as FormattedError[]));
      this.completed = true;
    } else {
      this.failure = error ?? new Error("unknown failure");
    }
    this.changed();
  }

  /** @internal */
  complete(): void {
    this.completed = true;
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export interface SubscribeOptions {
  /** The device token; null for none. */
  token: string | null;
  query: string;
  variables?: Record<string, unknown>;
  /** The field of Subscription that is selected (to pick the values from the results). */
  field: string;
}

export function wsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, "ws")}/graphql`;
}

/** One graphql-ws connection (opened on the first subscribe), for one or more subscriptions. */
export function wsConnection(baseUrl: string, token: string | null) {
  let socket: WebSocket | undefined;
  const client: WsClient = createWsClient({
    url: wsUrl(baseUrl),
    webSocketImpl: WebSocket,
    ...(token === null ? {} : { connectionParams: { authorization: `Bearer ${token}` } }),
    retryAttempts: 0,
    shouldRetry: () => false,
    on: { connected: (opened) => void (socket = opened as WebSocket) },
  });
  return {
    client,
    subscribe<T>(options: Omit<SubscribeOptions, "token">): LiveSubscription<T> {
      const subscription = new LiveSubscription<T>("ws", options.field);
      const unsubscribe = client.subscribe<Record<string, unknown>>(
        { query: options.query, variables: options.variables ?? {} },
        {
          next: (result) => subscription.receive(result),
          error: (error) => subscription.fail(error),
          complete: () => subscription.complete(),
        },
      );
      subscription.addDispose(unsubscribe);
      return subscription;
    },
    /** Drops the socket without a close handshake, as a lost network does. */
    terminate(): void {
      if (!socket) throw new Error("the socket is not open yet");
      socket.terminate();
    },
    dispose(): Promise<void> {
      return Promise.resolve(client.dispose());
    },
  };
}

/**
 * One subscription over graphql-ws on its own connection, so closing it
 * closes the socket. `terminate` drops the socket without a close handshake,
 * as a lost network does.
 */
export function subscribeWs<T>(
  baseUrl: string,
  options: SubscribeOptions,
): LiveSubscription<T> & { terminate(): void } {
  const connection = wsConnection(baseUrl, options.token);
  const subscription = connection.subscribe<T>(options) as LiveSubscription<T> & { terminate(): void };
  subscription.addDispose(() => void connection.dispose());
  subscription.terminate = () => connection.terminate();
  return subscription;
}

/** One subscription over SSE (POST /graphql, Accept: text/event-stream, Authorization header). */
export function subscribeSse<T>(baseUrl: string, options: SubscribeOptions): LiveSubscription<T> {
  const subscription = new LiveSubscription<T>("sse", options.field);
  const client = createSseClient({
    url: `${baseUrl}/graphql`,
    headers: options.token === null ? {} : { authorization: `Bearer ${options.token}` },
    retryAttempts: 0,
  });
  const unsubscribe = client.subscribe<Record<string, unknown>>(
    { query: options.query, variables: options.variables ?? {} },
    {
      next: (result) => subscription.receive(result),
      error: (error) => subscription.fail(error),
      complete: () => subscription.complete(),
    },
  );
  subscription.addDispose(unsubscribe);
  subscription.addDispose(() => client.dispose());
  return subscription;
}

export function subscribe<T>(transport: Transport, baseUrl: string, options: SubscribeOptions): LiveSubscription<T> {
  return transport === "ws" ? subscribeWs<T>(baseUrl, options) : subscribeSse<T>(baseUrl, options);
}

export function subscribeTransferProgress(
  transport: Transport,
  baseUrl: string,
  token: string | null,
  operationId: string,
  after?: number,
): LiveSubscription<TransferEvent> {
  return subscribe<TransferEvent>(transport, baseUrl, {
    token,
    query: transferProgressQuery,
    variables: { id: operationId, ...(after === undefined ? {} : { after }) },
    field: "transferProgress",
  });
}

export function subscribeFileIndexChanged(
  transport: Transport,
  baseUrl: string,
  token: string | null,
  after?: number,
): LiveSubscription<FileIndexChange> {
  return subscribe<FileIndexChange>(transport, baseUrl, {
    token,
    query: fileIndexChangedQuery,
    variables: after === undefined ? {} : { after },
    field: "fileIndexChanged",
  });
}

/** The user and device behind a token. */
export async function callerOf(server: TestServer, token: string): Promise<Caller> {
  const caller = await authenticate(server.app.services.db, `Bearer ${token}`);
  if (!caller) throw new Error("unknown token");
  return caller;
}

/**
 * Counts the server's live event followers (one per subscription being
 * served), by wrapping the notifier's subscribe.
 */
export function countFollowers(server: TestServer) {
  const notifier = server.app.services.notifier;
  const original = notifier.subscribe.bind(notifier);
  const counts = new Map<string, number>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  notifier.subscribe = (userId, listener) => {
    counts.set(userId, (counts.get(userId) ?? 0) + 1);
    changed();
    const unsubscribe = original(userId, listener);
    let active = true;
    return () => {
      if (active) {
        active = false;
        counts.set(userId, counts.get(userId)! - 1);
        changed();
      }
      unsubscribe();
    };
  };
  const count = (userId?: string) =>
    userId === undefined ? [...counts.values()].reduce((sum, n) => sum + n, 0) : (counts.get(userId) ?? 0);
  return {
    count,
    /** Resolves once the number of followers (of userId, or of all users) satisfies predicate. */
    until(predicate: (count: number) => boolean, userId?: string, timeoutMs = defaultWaitMs): Promise<void> {
      return waitForChange(
        listeners,
        () => predicate(count(userId)),
        () => new Error(`followers${userId ? ` of ${userId}` : ""}: still ${count(userId)} after ${timeoutMs}ms`),
        timeoutMs,
      );
    },
    restore() {
      notifier.subscribe = original;
    },
  };
}

/**
 * A local-directory cloud whose object writes wait for the test: each
 * writeObject call waits for a permit from release(n) before it writes.
 */
export class GatedCloud implements CloudStorage {
  readonly name = "gated-local";
  readonly dir = mkdtempSync(path.join(tmpdir(), "smsync-gated-cloud-"));
  private readonly inner = new LocalDirectoryStorage(this.dir);
  private permits = 0;
  private nextFailure: Error | undefined;
  private waiting: (() => void)[] = [];
  /** How many writes have been let through. */
  writesStarted = 0;
  private arrivalListeners = new Set<() => void>();
  /** How many writes are waiting for a permit. */
  get writesWaiting(): number {
    return this.waiting.length;
  }

  /** Lets n more writes through (Infinity: all from now on). */
  release(n = 1): void {
    this.permits += n;
    while (this.permits > 0 && this.waiting.length > 0) {
      this.permits -= 1;
      this.waiting.shift()!();
    }
  }

  /** Resolves once at least n writes are waiting for a permit. */
  untilWaiting(n = 1, timeoutMs = defaultWaitMs): Promise<void> {
    return waitForChange(
      this.arrivalListeners,
      () => this.waiting.length >= n,
      () => new Error(`no ${n} cloud writes waiting after ${timeoutMs}ms (${this.waiting.length})`),
      timeoutMs,
    );
  }

  private async gate(): Promise<void> {
    if (this.permits > 0) {
      this.permits -= 1;
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      for (const listener of [...this.arrivalListeners]) listener();
    });
  }

  findObject(key: CloudObjectKey): Promise<CloudObject | null> {
    return this.inner.findObject(key);
  }

  /** Makes the next write that passes the gate fail with this error (once). */
  failNextWrite(error: Error): void {
    this.nextFailure = error;
  }

  async writeObject(metadata: CloudObjectMetadata, content: () => Readable): Promise<CloudObject> {
    await this.gate();
    this.writesStarted += 1;
    const failure = this.nextFailure;
    if (failure) {
      this.nextFailure = undefined;
      throw failure;
    }
    return this.inner.writeObject(metadata, content);
  }

  readObject(userId: string, objectId: string, range?: { start: number; end?: number }): Promise<Readable> {
    return this.inner.readObject(userId, objectId, range);
  }

  deleteObject(userId: string, objectId: string): Promise<void> {
    return this.inner.deleteObject(userId, objectId);
  }

  listObjects(userId: string): Promise<CloudObject[]> {
    return this.inner.listObjects(userId);
  }

  /** Removes the directory (after the server has stopped: release everything before stopping it). */
  dispose(): void {
    this.release(Number.POSITIVE_INFINITY);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The payload of a transfer event in the log (the Event row's JSON), as the
 * transfers write it (api/src/transfers): OPERATION_STATE's fields or
 * FILES_TRANSFERRED's, each there only when the event has it.
 */
export interface TransferEventPayload {
  // OPERATION_STATE
  state?: "NOT_STARTED" | "IN_PROGRESS" | "SUCCEEDED" | "FAILED";
  /** A commit again resumed the failed operation. */
  resumed?: boolean;
  /** A step failed and will be tried again. */
  retrying?: boolean;
  /** The transfer waits out the cloud (a rate limit, an outage). */
  waiting?: boolean;
  attempts?: number;
  failedPhase?: string;
  errorCode?: string;
  errorMessage?: string;
  // FILES_TRANSFERRED: a chunk of files, and the counters after them
  files?: { fileUUID: string; version: number; action: string; bytes: number }[];
  filesDone?: number;
  filesTotal?: number;
  bytesDone?: number;
  bytesTotal?: number;
}

/** A transfer event's payload, from the Event row's JSON. */
export function transferEventPayload(payload: string): TransferEventPayload {
  return JSON.parse(payload) as TransferEventPayload;
}

/** The transfer events of an operation as the log in the database has them, in seq order. */
export async function loggedTransferEvents(server: TestServer, operationId: string) {
  const rows = await server.app.services.db.event.findMany({
    where: { operationId, type: { in: ["OPERATION_STATE", "FILES_TRANSFERRED"] } },
    orderBy: { seq: "asc" },
  });
  return rows.map((row) => ({ seq: row.seq, type: row.type, payload: transferEventPayload(row.payload) }));
}

/** The files that the FILES_TRANSFERRED events among these Event rows name, in order (a file twice if two did). */
export function transferredFiles(rows: { type: string; payload: string }[]) {
  return rows.flatMap((row) =>
    row.type === "FILES_TRANSFERRED" ? (transferEventPayload(row.payload).files ?? []) : [],
  );
}

/** Locks, uploads `count` files over tus and commits them: the committed operation and the files. */
export async function commitNewFiles<N extends number>(
  server: TestServer,
  device: TestGraphQLClient,
  count: N,
  size = 1000,
) {
  const { fencingToken } = await device.lock();
  const files: { fileUUID: string; content: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const content = Buffer.alloc(size + i, 65 + (i % 26));
    const { fileUUID } = await tusUpload(server.url, device.token!, { version: 0, content, fencingToken });
    files.push({ fileUUID, content });
  }
  const operation = await device.commit(fencingToken);
  return { operation, files: files as Tuple<{ fileUUID: string; content: Buffer }, N>, fencingToken };
}
