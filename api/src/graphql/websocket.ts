// graphql-ws subscriptions (and queries and mutations) on the same server
// and path as HTTP GraphQL, through Yoga's envelop so the same plugins run.
import type { Server } from "node:http";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Services } from "../services.ts";
import { graphqlPath, type GraphQLServer } from "./yoga.ts";

export function attachGraphQLWebSocket(httpServer: Server, yoga: GraphQLServer, services: Services) {
  const wsServer = new WebSocketServer({ server: httpServer, path: graphqlPath });
  const disposable = useServer(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const host = ctx.extra.request.headers.host ?? `${services.config.host}:${services.config.port}`;
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          request: undefined,
          connectionParams: ctx.connectionParams,
          services,
          origin: services.config.publicUrl ?? `http://${host}`,
        });
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
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
