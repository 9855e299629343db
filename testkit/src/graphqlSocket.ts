// A graphql-ws connection spoken by hand over the ws package's WebSocket, for
// tests of the protocol itself: what the server answers to connection_init,
// the messages of each operation, and the code it closes the socket with.
// (graphql-ws's own client, in subscriptions.ts, hides these.)
import WebSocket from "ws";
import { wsUrl } from "./subscriptions.ts";
import { waitForChange } from "./waitForChange.ts";

const defaultWaitMs = 90_000;

export interface SocketClose {
  code: number;
  reason: string;
}

/** A graphql-ws protocol message (graphql-transport-ws). */
export interface GraphQLSocketMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

export class GraphQLSocket {
  /** Every message received, in order. */
  readonly messages: GraphQLSocketMessage[] = [];
  /** Set once the socket has closed. */
  closedWith: SocketClose | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: WebSocket) {
    // Text messages, as Buffers (ws's default binaryType).
    socket.on("message", (data) => {
      this.messages.push(JSON.parse((data as Buffer).toString("utf8")) as GraphQLSocketMessage);
      this.changed();
    });
    socket.on("close", (code, reason) => {
      this.closedWith = { code, reason: String(reason) };
      this.changed();
    });
  }

  /** A socket opened on the server's /graphql with graphql-ws's subprotocol (no connection_init sent yet). */
  static open(baseUrl: string): Promise<GraphQLSocket> {
    const socket = new WebSocket(wsUrl(baseUrl), "graphql-transport-ws");
    const opened = new GraphQLSocket(socket);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(opened));
      socket.once("error", reject);
    });
  }

  /**
   * A socket that sent connection_init with the token (none for null) and
   * got its answer: "acknowledged", or how the server closed it.
   */
  static async connect(
    baseUrl: string,
    token: string | null,
  ): Promise<{ socket: GraphQLSocket; answer: "acknowledged" | SocketClose }> {
    const socket = await GraphQLSocket.open(baseUrl);
    const answer = await socket.init(token === null ? undefined : { authorization: `Bearer ${token}` });
    return { socket, answer };
  }

  /** Sends connection_init; resolves with "acknowledged" on connection_ack, or with the close that came instead. */
  async init(payload?: Record<string, unknown>): Promise<"acknowledged" | SocketClose> {
    this.send({ type: "connection_init", ...(payload ? { payload } : {}) });
    await this.until(() => this.closedWith !== undefined || this.has("connection_ack"), "connection_ack or close");
    return this.has("connection_ack") ? "acknowledged" : this.closedWith!;
  }

  send(message: GraphQLSocketMessage): void {
    this.sendRaw(JSON.stringify(message));
  }

  /** Sends text as one message, whatever it holds. */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}): void {
    this.send({ id, type: "subscribe", payload: { query, variables } });
  }

  /** Ends operation id from the client's side. */
  complete(id: string): void {
    this.send({ id, type: "complete" });
  }

  /** The messages received for operation id. */
  messagesOf(id: string): GraphQLSocketMessage[] {
    return this.messages.filter((message) => message.id === id);
  }

  /** Resolves with the first message for operation id that is not a `next` (its `error` or `complete`). */
  async endOf(id: string): Promise<GraphQLSocketMessage> {
    const end = () => this.messagesOf(id).find((message) => message.type !== "next");
    await this.until(() => end() !== undefined || this.closedWith !== undefined, `the end of operation ${id}`);
    const found = end();
    if (!found) throw new Error(`the socket closed (${JSON.stringify(this.closedWith)}) before operation ${id} ended`);
    return found;
  }

  /** Resolves with the close, once the socket has closed. */
  async closed(): Promise<SocketClose> {
    await this.until(() => this.closedWith !== undefined, "the close");
    return this.closedWith!;
  }

  /** Resolves once predicate holds (checked at each message and at the close), or rejects after a hang guard. */
  until(predicate: () => boolean, what: string, timeoutMs = defaultWaitMs): Promise<void> {
    return waitForChange(
      this.listeners,
      predicate,
      () => new Error(`graphql-ws socket: no ${what} after ${timeoutMs}ms: ${JSON.stringify(this.messages)}`),
      timeoutMs,
    );
  }

  /** Closes with the handshake (code 1000). */
  close(): Promise<SocketClose> {
    this.socket.close(1000);
    return this.closed();
  }

  /** Drops the connection without a close handshake, as a lost network does. */
  terminate(): void {
    this.socket.terminate();
  }

  private has(type: string): boolean {
    return this.messages.some((message) => message.type === type);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
