// What a result from the fetch exchange means for a queued mutation: the
// server's answer, to store and hand over, or no answer, to send again.
//
// An answer is data, or the server's typed GraphQL errors (LOCK_HELD is an
// answer, for the engine to act on), or an HTTP 4xx other than 408 and 429
// (no retry will change it). No answer (no connection, a cut response, 5xx,
// 429, 408, a body with neither data nor errors) is retried. The server
// never answers "in progress" for a key (docs/protocol.md, "Safe to
// repeat"), so every typed error is an answer.
import type { OperationResult } from "@urql/core";
import { NetworkError } from "../../errors.ts";
import type { StoredGraphQLError } from "./records.ts";

export type Classified =
  | { kind: "answer"; data: unknown; errors: StoredGraphQLError[] }
  /** retryAfterMs: the server's Retry-After, if it sent one. */
  | { kind: "retry"; error: NetworkError; retryAfterMs: number | undefined };

interface HttpResponse {
  status?: unknown;
  statusText?: string;
  headers?: { get(name: string): string | null };
}

/** `now` dates a Retry-After given as an HTTP date. */
export function classify(result: OperationResult, now: number = Date.now()): Classified {
  const error = result.error;
  const response = error?.response as HttpResponse | undefined;
  const status = typeof response?.status === "number" ? response.status : undefined;
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) {
    return {
      kind: "retry",
      error: new NetworkError(`the server answered HTTP ${status}`, { cause: error }),
      retryAfterMs: retryAfterMs(response?.headers?.get("retry-after") ?? null, now),
    };
  }
  if (error?.networkError) {
    if (status !== undefined && status >= 400) {
      return {
        kind: "answer",
        data: null,
        errors: [
          {
            message: `HTTP ${status} ${response?.statusText ?? ""}`.trim(),
            extensions: { code: `HTTP_${status}`, status },
          },
        ],
      };
    }
    return {
      kind: "retry",
      error: new NetworkError(error.networkError.message, { cause: error.networkError }),
      retryAfterMs: undefined,
    };
  }
  const errors: StoredGraphQLError[] = (error?.graphQLErrors ?? []).map((graphQLError) => ({
    message: graphQLError.message,
    ...(graphQLError.path ? { path: [...graphQLError.path] } : {}),
    ...(graphQLError.extensions
      ? { extensions: JSON.parse(JSON.stringify(graphQLError.extensions)) as Record<string, unknown> }
      : {}),
  }));
  if (result.data === undefined && errors.length === 0) {
    return {
      kind: "retry",
      error: new NetworkError("the server's answer had neither data nor errors"),
      retryAfterMs: undefined,
    };
  }
  return { kind: "answer", data: result.data ?? null, errors };
}

/** A Retry-After header (seconds, or an HTTP date) in ms from now. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
