// A urql query's result as data, or its failure as a typed error: the
// engine and the public client read every query through this one rule.
import type { CombinedError } from "@urql/core";
import { NetworkError, ServerError } from "../errors.ts";

/** A query's data, or its failure typed: NetworkError without an answer, ServerError with the server's code. */
export function queryData<T>(result: { data?: T; error?: CombinedError }, what: string): T {
  if (result.error) throw typedError(result.error, what);
  if (result.data === undefined) throw new NetworkError(`${what}: no data`);
  return result.data;
}

/** A failed request's error typed (also a subscription's): NetworkError without an answer, ServerError with the server's code. */
export function typedError(error: CombinedError, what: string): NetworkError | ServerError {
  const status = (error.response as { status?: number } | undefined)?.status;
  if (error.networkError || (status !== undefined && (status >= 500 || status === 429 || status === 408))) {
    // A WebSocket's close event has no message: the combined error's names it.
    const why = error.networkError ? error.networkError.message || error.message : `HTTP ${status}`;
    return new NetworkError(`${what}: ${why}`, { cause: error });
  }
  const first = error.graphQLErrors[0];
  const { code, ...details } = (first?.extensions ?? {}) as Record<string, unknown>;
  return new ServerError(typeof code === "string" ? code : "UNKNOWN", first?.message ?? error.message, details);
}
