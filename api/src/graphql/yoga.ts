// The GraphQL control plane over HTTP (queries, mutations, subscriptions
// over SSE) with GraphiQL served whole from this server.
import type { IncomingMessage } from "node:http";
import { createYoga, maskError } from "graphql-yoga";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { graphqlCors } from "../http/cors.ts";
import { publicBaseUrl } from "../http/publicBaseUrl.ts";
import type { Services } from "../services.ts";
import type { GraphQLContext } from "./context.ts";
import { graphiqlHeadersTemplate, graphiqlTabs } from "./graphiqlTabs.ts";
import { useDeviceAuthentication } from "./plugins/authentication.ts";
import { limitPlugins } from "./plugins/limits.ts";
import { useCompiledQueries } from "./plugins/compiledQueries.ts";
import { schema } from "./schema/index.ts";

export const graphqlPath = "/graphql";

export function createGraphQLServer(services: Services) {
  const { config, logger } = services;
  const graphqlLogger = logger.child({ component: "graphql" });
  // The Node request: from the node:http adapter, and from websocket.ts for graphql-ws.
  return createYoga<{ req: IncomingMessage }, GraphQLContext>({
    schema,
    graphqlEndpoint: graphqlPath,
    // Opened on smsync's own example documents, not the stock welcome (graphiqlTabs.ts).
    graphiql: config.graphiql
      ? () => ({
          title: "smsync GraphiQL",
          // Over HTTP, with the headers of the editor (a WebSocket from a page cannot carry them).
          subscriptionsProtocol: "SSE",
          defaultTabs: graphiqlTabs(),
          headers: graphiqlHeadersTemplate,
          defaultHeaders: graphiqlHeadersTemplate,
          defaultEditorToolsVisibility: "headers",
        })
      : false,
    // Loaded on the first page served: most servers never serve one.
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    landingPage: false,
    // Browser apps on other origins (SMSYNC_CORS_ORIGINS).
    cors: graphqlCors(config),
    // Typed errors reach the client; anything else is masked without a stack.
    maskedErrors: {
      maskError: (error, message, isDev) =>
        (error as { originalError?: unknown }).originalError instanceof SmsyncError
          ? (error as Error)
          : maskError(error, message, isDev),
    },
    logging: {
      debug: (...args) => graphqlLogger.debug(args.map(String).join(" ")),
      info: (...args) => graphqlLogger.info(args.map(String).join(" ")),
      warn: (...args) => graphqlLogger.warn(args.map(String).join(" ")),
      error: (...args) =>
        graphqlLogger.error({ err: args.find((arg) => arg instanceof Error) }, args.map(String).join(" ")),
    },
    context: ({ req }) => ({
      services,
      caller: null,
      authorization: null,
      origin: publicBaseUrl(config.publicUrl, req),
    }),
    plugins: [useDeviceAuthentication(services), ...limitPlugins(config), useCompiledQueries()],
  });
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;
