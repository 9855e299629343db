// The SDK's urql Client, composed here and nowhere else:
//   outbox        every mutation stored, then sent one at a time, in order (outbox/)
//   subscription  subscriptions over graphql-ws (a refused connection as its GraphQL error)
//   fetch         queries, and the outbox's mutations, over HTTP
// No cache: the sync engine always wants the server's current answer.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWebSocketClient, type Client as WebSocketClient } from "graphql-ws";
import WebSocket from "ws";
import type { ClientStore } from "../store/ClientStore.ts";
import { Outbox, type OutboxOptions } from "./outbox/index.ts";
import { reportingRefusals } from "./webSocketRefusals.ts";

export interface GraphQLClientOptions {
  /** The server's base URL (http://host:port); GraphQL is served at /graphql. */
  serverUrl: string;
  /** The device token (Authorization: Bearer <token>), or a function giving the current one. */
  token: string | (() => string);
  /** Where the outbox keeps pending mutations and their results. */
  store: ClientStore;
  outbox?: OutboxOptions;
  /** The graphql-ws endpoint (serverInfo.graphqlWebSocketUrl); by default the server URL's /graphql over ws(s). */
  webSocketUrl?: string;
  /** A WebSocket class; by default the platform's, or the ws package's where there is none (Node 20). */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
}

export interface SmsyncGraphQL {
  client: Client;
  outbox: Outbox;
  /** The graphql-ws client under the subscriptions (one lazy connection for all of them). */
  webSocket: WebSocketClient;
  /** Stops the outbox (pending mutations stay stored) and closes the WebSocket. The store is left open. */
  close(): Promise<void>;
}

export function createGraphQLClient(options: GraphQLClientOptions): SmsyncGraphQL {
  const serverUrl = options.serverUrl.replace(/\/+$/, "");
  const authorization = () => `Bearer ${typeof options.token === "function" ? options.token() : options.token}`;

  const webSocket = createWebSocketClient({
    url: options.webSocketUrl ?? `${serverUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: options.webSocketImpl ?? globalThis.WebSocket ?? WebSocket,
    connectionParams: () => ({ authorization: authorization() }),
    // graphql-ws would resubscribe with the original `after` and repeat
    // events; the SDK resubscribes itself with the last seq it saw.
    retryAttempts: 0,
    shouldRetry: () => false,
  });

  const outbox = new Outbox(options.store, options.outbox);

  const client = new Client({
    url: `${serverUrl}/graphql`,
    fetch: options.fetch,
    fetchOptions: () => ({ headers: { authorization: authorization() } }),
    requestPolicy: "network-only",
    // POST for queries too: one shape of request, the token never near a URL.
    preferGetMethod: false,
    exchanges: [
      outbox.exchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: webSocket.subscribe({ ...request, query: request.query ?? "" }, reportingRefusals(sink)),
          }),
        }),
      }),
      fetchExchange,
    ],
  });

  return {
    client,
    outbox,
    webSocket,
    async close() {
      await outbox.close();
      await webSocket.dispose();
    },
  };
}
