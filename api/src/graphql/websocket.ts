// graphql-ws subscriptions (and queries and mutations) on the same server
// and path as HTTP GraphQL, through Yoga's envelop so the same plugins run.
import type { Server } from "node:http";
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from "graphql";
import type { OperationResult } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Services } from "../services.ts";
import { graphqlPath, type GraphQLServer } from "./yoga.ts";

/** Yoga marks request errors with the HTTP status they would have; a WebSocket message has none. */
function withoutHttpDetails(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/**
 * An operation's functions from Yoga's envelop, typed as graphql's own: envelop
 * types them loosely (`any`), to serve every graphql version.
 */
interface EnvelopedOperation {
  schema: GraphQLSchema;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

/** What onSubscribe puts in an operation's rootValue, for graphql-ws's execute and subscribe to run it with. */
type EnvelopedRoot = Pick<EnvelopedOperation, "execute" | "subscribe">;

export function attachGraphQLWebSocket(httpServer: Server, yoga: GraphQLServer, services: Services) {
  const wsServer = new WebSocketServer({ server: httpServer, path: graphqlPath });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          request: undefined,
          connectionParams: ctx.connectionParams,
          services,
        });
        const operation: EnvelopedOperation = enveloped;
        const { schema, execute, subscribe, parse, validate } = operation;
        // A document that does not parse or validate is answered with an
        // error message for this operation; thrown, it would close the
        // socket and end the connection's other subscriptions.
        let document: DocumentNode;
        try {
          document = parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [withoutHttpDetails(error)];
          throw error;
        }
        const errors = validate(schema, document);
        if (errors.length) return errors.map(withoutHttpDetails);
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
      },
    },
    wsServer,
  );
  return {
    async close() {
      await disposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
