// A urql query's result as data, or its failure as a typed error: the
// engine and the public client read every query through this one rule.
import type { CombinedError } from "@urql/core";
import { NetworkError, ServerError } from "../errors.ts";

/** A query's data, or its failure typed: NetworkError without an answer, ServerError with the server's code. */
export function queryData<T>(result: { data?: T; error?: CombinedError }, what: string): T {
  const error = result.error;
  if (error) {
    const status = (error.response as { status?: number } | undefined)?.status;
    if (error.networkError || (status !== undefined && (status >= 500 || status === 429 || status === 408))) {
      throw new NetworkError(`${what}: ${error.networkError?.message ?? `HTTP ${status}`}`, { cause: error });
    }
    const first = error.graphQLErrors[0];
    const { code, ...details } = (first?.extensions ?? {}) as Record<string, unknown>;
    throw new ServerError(typeof code === "string" ? code : "UNKNOWN", first?.message ?? error.message, details);
  }
  if (result.data === undefined) throw new NetworkError(`${what}: no data`);
  return result.data;
}
