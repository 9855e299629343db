// graphql-ws subscriptions (and queries and mutations) on the same server
// and path as HTTP GraphQL, through Yoga's envelop so the same plugins run.
// Bounded (docs/protocol.md, "WebSocket connections"): messages up to
// wsMaxPayloadBytes, only devices with a valid token at connection_init, and
// per device a cap of connections and one of running operations.
import type { Server } from "node:http";
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from "graphql";
import type { Context, OperationResult, SubscribePayload } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { tokenOfAuthorization } from "../auth/deviceTokens.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { isRefusal, type Refusal } from "../limits/RequestLimits.ts";
import type { Logger } from "../logging/logger.ts";
import type { Services } from "../services.ts";
import { DeviceSocketLimits, type DeviceConnection } from "./DeviceSocketLimits.ts";
import { connectionAuthorization } from "./plugins/authentication.ts";
import { admitConnection } from "./webSocketAdmission.ts";
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

/** What a connection keeps in graphql-ws's ctx.extra: its device's counts, once admitted. */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  device: DeviceConnection;
}

type ConnectionContext = Context<Record<string, unknown>, Extra & Partial<ConnectionExtra>>;

function tooManyOperations(maxSubscriptions: number): SmsyncError {
  return new SmsyncError(
    "RATE_LIMITED",
    "this device already runs as many subscriptions as the server allows: end one before starting another",
    { maxSubscriptions },
  );
}

function rateLimited({ retryAfterSeconds, limit }: Refusal): SmsyncError {
  return new SmsyncError("RATE_LIMITED", `too many requests: retry in ${retryAfterSeconds}s`, {
    retryAfterSeconds,
    limit,
  });
}

/**
 * The operation's execution arguments, through Yoga's envelop; or the errors
 * that answer it. A document that does not parse or validate, or names no
 * operation of its own, is answered with an error message for this operation:
 * thrown, it would close the socket and end the connection's other
 * subscriptions.
 */
async function prepareOperation(
  yoga: GraphQLServer,
  services: Services,
  ctx: ConnectionContext,
  params: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
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
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [withoutHttpDetails(error)];
    throw error;
  }
  const errors = validate(schema, document);
  if (errors.length) return errors.map(withoutHttpDetails);
  // graphql-ws would answer this itself, but after onSubscribe and without onComplete.
  if (!getOperationAST(document, params.operationName)) return [new GraphQLError("Unable to identify operation")];
  return {
    schema,
    operationName: params.operationName,
    document,
    variableValues: params.variables,
    contextValue: await enveloped.contextFactory(),
    rootValue: { execute, subscribe } satisfies EnvelopedRoot,
  };
}

/**
 * ws closes the socket of a client that broke the protocol (a message over
 * maxPayload: 1009; a bad frame) with the code that says why, then emits
 * 'error' on it; graphql-ws's listener would print that to stderr as an
 * internal error of the server, with a stack, once per such socket. It is
 * the client's: logged as such instead. Registered after useServer, whose
 * listener it replaces.
 */
function logClientProtocolErrors(wsServer: WebSocketServer, logger: Logger): void {
  wsServer.on("connection", (socket) => {
    socket.removeAllListeners("error");
    socket.on("error", (error) =>
      logger.info({ err: error.message }, "graphql-ws socket closed: the client broke the protocol"),
    );
  });
}

export function attachGraphQLWebSocket(httpServer: Server, yoga: GraphQLServer, services: Services) {
  const { config } = services;
  // ws closes a socket whose message is larger with 1009, before reading it.
  const wsServer = new WebSocketServer({ server: httpServer, path: graphqlPath, maxPayload: config.wsMaxPayloadBytes });
  const limits = new DeviceSocketLimits({
    maxConnections: config.wsMaxConnectionsPerDevice,
    maxOperations: config.wsMaxSubscriptionsPerDevice,
  });
  const disposable = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      // false after admitConnection has closed the socket with its own code:
      // graphql-ws's 4403 then finds the socket closing and is not sent.
      onConnect: async (ctx) => {
        const device = await admitConnection(services, limits, ctx.extra, ctx.connectionParams);
        if (!device) return false;
        ctx.extra.device = device;
        return true;
      },
      // Any close, clean or not, acknowledged or not, gives the counts back.
      onClose: (ctx) => ctx.extra.device?.close(),
      // Every operation that onSubscribe lets through ends here (after an error in its stream too).
      onComplete: (ctx, id) => ctx.extra.device?.endOperation(id),
      onSubscribe: async (ctx, id, params) => {
        // graphql-ws passes on the operations of acknowledged connections only: those have a device.
        const device = ctx.extra.device;
        // Each operation over the socket counts against the rate limits, as a request over HTTP would.
        const token = tokenOfAuthorization(connectionAuthorization(ctx.connectionParams));
        const admitted = await services.requestLimits.admit(ctx.extra.request, token);
        if (isRefusal(admitted)) return [rateLimited(admitted)];
        admitted();
        if (!device?.startOperation(id)) {
          services.logger.info(
            { deviceId: device?.deviceId, maxSubscriptions: limits.caps.maxOperations },
            "graphql-ws operation refused: the device runs too many",
          );
          return [tooManyOperations(limits.caps.maxOperations)];
        }
        const prepared = await prepareOperation(yoga, services, ctx, params);
        // Refused here, the operation never reaches onComplete.
        if (Array.isArray(prepared)) device.endOperation(id);
        return prepared;
      },
    },
    wsServer,
  );
  logClientProtocolErrors(wsServer, services.logger);
  return {
    /** What the device holds open on this instance now: its connections and running operations. */
    countsOf: (deviceId: string) => limits.countsOf(deviceId),
    async close() {
      await disposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
