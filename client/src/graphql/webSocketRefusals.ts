// A server that refuses a graphql-ws connection closes it with a code
// (@smsync/protocol's webSocketRefusals): 4401 for a device token that is not
// valid, 4429 for a device with too many connections. The SDK reports such a
// close as the GraphQL error its code stands for (UNAUTHENTICATED,
// RATE_LIMITED), as an answer over HTTP would be, rather than as a network
// failure: an app sees a bad token the same on a subscription and a query.
// graphql-ws does not retry these closes (nor does the SDK's configuration).
import { errorCodeOfWebSocketClose } from "@smsync/protocol";

interface SubscriptionSink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** sink, with a refusal's close passed on as one GraphQL error (graphql-ws passes GraphQL errors as an array). */
export function reportingRefusals<T>(sink: SubscriptionSink<T>): SubscriptionSink<T> {
  return {
    next: (value) => sink.next(value),
    complete: () => sink.complete(),
    error: (error) => sink.error(refusalAsGraphQLErrors(error) ?? error),
  };
}

function refusalAsGraphQLErrors(error: unknown) {
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  const errorCode = typeof code === "number" ? errorCodeOfWebSocketClose(code) : undefined;
  if (!errorCode) return undefined;
  const why = typeof reason === "string" && reason ? ` ${reason}` : "";
  return [
    {
      message: `the server refused the WebSocket connection (${String(code)}${why})`,
      extensions: { code: errorCode, closeCode: code },
    },
  ];
}
