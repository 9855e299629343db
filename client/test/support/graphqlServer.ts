// For the GraphQL layer's tests: a proxy on 127.0.0.1 between the SDK and a
// real server that records each HTTP request it lets through (in arrival
// order, with the mutation's name and idempotency key) and, on command,
// looks down (resets every connection), answers in the server's place
// (e.g. 503), or drops a response after the server has acted; and a
// recorder of what an Outbox reports.
import net from "node:net";
import type { AddressInfo } from "node:net";
import type { OperationResult, OperationResultSource } from "@urql/core";
import type { Outbox, OutboxEvent } from "../../src/graphql/outbox/index.ts";

export interface ProxiedRequest {
  /** The proxy's number for the TCP connection that carried it. */
  connection: number;
  method: string;
  path: string;
  operationName: string | null;
  /** variables.idempotencyKey of the request's JSON body. */
  idempotencyKey: string | null;
  isMutation: boolean;
  /** "proxy": answered by the proxy (answerWith), never seen by the server. */
  answeredBy: "server" | "proxy";
  /** The server answered and the proxy cut the connection instead of passing the answer on. */
  responseDropped: boolean;
}

export interface RecordingProxy {
  readonly url: string;
  readonly port: number;
  /** Requests in the order the proxy received them whole (WebSocket upgrades included). */
  readonly requests: ProxiedRequest[];
  /** The most mutations that were at the server at once (forwarded, not yet answered). */
  readonly maxMutationsInFlight: number;
  /** Connections accepted, refused ones included. */
  readonly connections: number;
  /** While on, every connection is reset at once (as if the server were down); turning it on also cuts the open ones. */
  refuse(on: boolean): void;
  /** The next n mutations reach the server; their answers are replaced by a cut connection. */
  dropResponses(n: number): void;
  /** The next n requests are answered by the proxy with this status (and body), not passed on. */
  answerWith(n: number, status: number, body?: { contentType: string; text: string }): void;
  /** Drops every open connection now. */
  cutAll(): void;
  /** Requests that reached the server, mutations only. */
  mutationsAtServer(): ProxiedRequest[];
  /** Resolves once predicate holds for the requests seen so far. */
  until(predicate: (requests: ProxiedRequest[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

interface Connection {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  buffer: Buffer;
  tunnel: boolean;
  awaiting: ProxiedRequest | undefined;
}

const statusTexts: Record<number, string> = {
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const targetUrl = new URL(target);
  const connections = new Set<Connection>();
  const requests: ProxiedRequest[] = [];
  const listeners = new Set<() => void>();
  let refusing = false;
  let dropsLeft = 0;
  let answers: { left: number; status: number; body?: { contentType: string; text: string } } = { left: 0, status: 0 };
  let inFlight = 0;
  let maxInFlight = 0;
  let connectionCount = 0;

  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  const destroy = (connection: Connection) => {
    if (connection.awaiting?.isMutation) inFlight -= 1;
    connection.awaiting = undefined;
    connection.client.destroy();
    connection.upstream.destroy();
    connections.delete(connection);
  };

  /** Parses whole requests off the connection's buffer and handles each. */
  const receive = (connection: Connection) => {
    for (;;) {
      if (connection.tunnel) {
        if (connection.buffer.length) connection.upstream.write(connection.buffer);
        connection.buffer = Buffer.alloc(0);
        return;
      }
      const headEnd = connection.buffer.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const head = connection.buffer.subarray(0, headEnd).toString("latin1");
      const [requestLine = "", ...headerLines] = head.split("\r\n"); // split gives at least one part
      const headers = new Map(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(":")).trim().toLowerCase(),
          line.slice(line.indexOf(":") + 1).trim(),
        ]),
      );
      const length = Number(headers.get("content-length") ?? 0);
      const total = headEnd + 4 + length;
      if (connection.buffer.length < total) return;
      const raw = connection.buffer.subarray(0, total);
      connection.buffer = connection.buffer.subarray(total);
      const [method = "", path = ""] = requestLine.split(" ");
      type Body = { query?: string; operationName?: string; variables?: { idempotencyKey?: unknown } };
      let body: Body = {};
      try {
        body = length ? (JSON.parse(raw.subarray(headEnd + 4).toString("utf8")) as Body) : {};
      } catch {
        // not a JSON body
      }
      const request: ProxiedRequest = {
        connection: connection.id,
        method,
        path,
        operationName: body.operationName ?? null,
        idempotencyKey: typeof body.variables?.idempotencyKey === "string" ? body.variables.idempotencyKey : null,
        isMutation: /^\s*mutation\b/.test(body.query ?? ""),
        answeredBy: "server",
        responseDropped: false,
      };
      if (headers.get("upgrade")) {
        connection.tunnel = true;
        requests.push(request);
        connection.upstream.write(raw);
        changed();
        continue;
      }
      if (answers.left > 0) {
        answers.left -= 1;
        request.answeredBy = "proxy";
        requests.push(request);
        const text = answers.body?.text ?? "";
        connection.client.write(
          `HTTP/1.1 ${answers.status} ${statusTexts[answers.status] ?? "Error"}\r\n` +
            (answers.body ? `content-type: ${answers.body.contentType}\r\n` : "") +
            `content-length: ${Buffer.byteLength(text)}\r\nconnection: keep-alive\r\n\r\n${text}`,
        );
        changed();
        continue;
      }
      if (request.isMutation) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (dropsLeft > 0) {
          dropsLeft -= 1;
          request.responseDropped = true;
        }
      }
      connection.awaiting = request;
      requests.push(request);
      connection.upstream.write(raw);
      changed();
    }
  };

  let nextId = 0;
  const server = net.createServer((client) => {
    connectionCount += 1;
    client.on("error", () => undefined);
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(Number(targetUrl.port), targetUrl.hostname);
    upstream.on("error", () => undefined);
    const connection: Connection = {
      id: ++nextId,
      client,
      upstream,
      buffer: Buffer.alloc(0),
      tunnel: false,
      awaiting: undefined,
    };
    connections.add(connection);
    client.on("data", (chunk: Buffer) => {
      connection.buffer = Buffer.concat([connection.buffer, chunk]);
      receive(connection);
    });
    upstream.on("data", (chunk: Buffer) => {
      const answered = connection.awaiting;
      if (answered) {
        connection.awaiting = undefined;
        if (answered.isMutation) inFlight -= 1;
        if (answered.responseDropped) {
          destroy(connection);
          changed();
          return;
        }
      }
      client.write(chunk);
    });
    client.on("close", () => destroy(connection));
    upstream.on("close", () => destroy(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get maxMutationsInFlight() {
      return maxInFlight;
    },
    get connections() {
      return connectionCount;
    },
    refuse(on) {
      refusing = on;
      if (on) for (const connection of [...connections]) destroy(connection);
    },
    dropResponses(n) {
      dropsLeft = n;
    },
    answerWith(n, status, body) {
      answers = { left: n, status, body };
    },
    cutAll() {
      for (const connection of [...connections]) destroy(connection);
    },
    mutationsAtServer() {
      return requests.filter((request) => request.isMutation && request.answeredBy === "server");
    },
    until(predicate) {
      return new Promise((resolve) => {
        const check = () => {
          if (predicate(requests)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const connection of [...connections]) destroy(connection);
        server.close(() => resolve());
      });
    },
  };
}

/** A URL where nothing listens (connections are refused): a port the system gave out and took back. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** What an Outbox reports, as it happens. */
export function recordOutboxEvents(outbox: Outbox) {
  const events: OutboxEvent[] = [];
  const listeners = new Set<() => void>();
  const stop = outbox.on((event) => {
    events.push(event);
    for (const listener of [...listeners]) listener();
  });
  return {
    events,
    of<T extends OutboxEvent["type"]>(type: T): Extract<OutboxEvent, { type: T }>[] {
      return events.filter((event): event is Extract<OutboxEvent, { type: T }> => event.type === type);
    },
    /** Resolves once predicate holds for the events so far. */
    until(predicate: (events: OutboxEvent[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (predicate(events)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
      });
    },
    stop,
  };
}

/** The results of a urql source (a subscription) as they arrive. */
export function followResults<T extends OperationResult>(source: OperationResultSource<T>) {
  const results: T[] = [];
  const listeners = new Set<() => void>();
  const subscription = source.subscribe((result) => {
    results.push(result);
    for (const listener of [...listeners]) listener();
  });
  return {
    results,
    /** Resolves once predicate holds for the results so far. */
    until(predicate: (results: T[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (predicate(results)) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
        check();
      });
    },
    unsubscribe: () => subscription.unsubscribe(),
  };
}
