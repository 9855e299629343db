// Resolves the caller from the device token once per request: the
// Authorization header over HTTP and SSE, connectionParams.authorization over
// graphql-ws. Fields that need a caller check it with requireCaller.
//
// A subscription outlives its request: before each event it delivers, the
// token is checked again, so a device whose token is revoked hears nothing
// more; its stream ends with UNAUTHENTICATED.
import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import { authenticate, type Caller } from "../../auth/deviceTokens.ts";
import { authenticateRequest } from "../../auth/requestCaller.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import type { Services } from "../../services.ts";

type AuthenticationContext = {
  caller?: Caller | null;
  authorization?: string | null;
  connectionParams?: Record<string, unknown>;
};

/** The authorization each caller was resolved from, to check it again during a subscription. */
const authorizations = new WeakMap<Caller, string>();

export function useDeviceAuthentication(services: Services): Plugin<AuthenticationContext> {
  return {
    async onContextBuilding({ context, extendContext }) {
      const fromHeader = (context as { request?: Request }).request?.headers.get("authorization");
      const authorization = fromHeader ?? connectionAuthorization(context.connectionParams);
      const caller = await authenticateRequest(services, authorization);
      if (caller && authorization) authorizations.set(caller, authorization);
      extendContext({ caller, authorization });
    },
    onSubscribe() {
      return {
        onSubscribeResult({ args, result, setResult }) {
          const caller = args.contextValue.caller;
          const authorization = caller ? authorizations.get(caller) : undefined;
          if (!caller || !authorization || !isAsyncIterable(result)) return;
          setResult(
            whileAuthorized(
              result,
              async () => (await authenticate(services.db, authorization))?.deviceId === caller.deviceId,
            ),
          );
        },
      };
    },
  };
}

/** The authorization a graphql-ws client sent in connection_init's payload (its connectionParams), if any. */
export function connectionAuthorization(connectionParams: Record<string, unknown> | undefined): string | null {
  const authorization = connectionParams?.authorization;
  return typeof authorization === "string" ? authorization : null;
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return typeof (value as AsyncIterable<T> | null)?.[Symbol.asyncIterator] === "function";
}

/**
 * The results of source while check holds before each; then one
 * UNAUTHENTICATED error and the end. An iterator rather than an async
 * generator, so that return() reaches the source at once, even while a
 * next() waits for the next event (a generator would queue it behind that
 * next(), leaving the stream behind a closed connection running).
 */
function whileAuthorized(
  source: AsyncIterable<ExecutionResult>,
  check: () => Promise<boolean>,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    await iterator.return?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      const step = await iterator.next();
      if (step.done || finished) {
        finished = true;
        return step.done ? step : { done: true, value: undefined };
      }
      if (!(await check())) {
        await finish();
        return {
          done: false,
          value: {
            errors: [
              new SmsyncError(
                "UNAUTHENTICATED",
                "the device token is no longer valid: subscribe again with a valid one",
              ),
            ],
          },
        };
      }
      return step;
    },
    async return() {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      await finish();
      throw error;
    },
  };
}
