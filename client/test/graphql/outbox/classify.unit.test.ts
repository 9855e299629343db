// Answer or retry: how the outbox reads each kind of result from the fetch
// exchange, without a server.
import {
  CombinedError,
  createRequest,
  gql,
  makeErrorResult,
  makeOperation,
  makeResult,
  type OperationResult,
} from "@urql/core";
import { describe, expect, it } from "vitest";
import { NetworkError } from "../../../src/errors.ts";
import { classify, retryAfterMs } from "../../../src/graphql/outbox/classify.ts";

const operation = makeOperation(
  "mutation",
  createRequest(
    gql`
      mutation Unlock($idempotencyKey: String!) {
        unlock(idempotencyKey: $idempotencyKey)
      }
    `,
    { idempotencyKey: "k" },
  ),
  {
    url: "http://server/graphql",
    requestPolicy: "network-only",
  },
);

/** What urql's fetch exchange makes of an HTTP status without a GraphQL body. */
function httpFailure(status: number, headers: Record<string, string> = {}): OperationResult {
  return makeErrorResult(operation, new Error(`HTTP ${status}`), {
    status,
    statusText: "Status",
    headers: new Headers(headers),
  });
}

const now = Date.parse("2026-01-01T00:00:00Z");

describe("classify", () => {
  it("takes data as the answer", () => {
    expect(classify(makeResult(operation, { data: { unlock: true } }), now)).toEqual({
      kind: "answer",
      data: { unlock: true },
      errors: [],
    });
  });

  it("takes the server's typed errors as the answer, extensions and path kept as JSON", () => {
    const result = makeResult(operation, {
      data: null,
      errors: [{ message: "held", path: ["lock"], extensions: { code: "LOCK_HELD", retryAfterSeconds: 3 } }],
    });
    expect(classify(result, now)).toEqual({
      kind: "answer",
      data: null,
      errors: [{ message: "held", path: ["lock"], extensions: { code: "LOCK_HELD", retryAfterSeconds: 3 } }],
    });
  });

  it("takes a code the protocol does not send as an answer too: a retry would not change it", () => {
    const result = makeResult(operation, {
      data: null,
      errors: [{ message: "busy", extensions: { code: "IDEMPOTENCY_IN_PROGRESS" } }],
    });
    expect(classify(result, now)).toMatchObject({ kind: "answer" });
  });

  it("retries 5xx, 429 and 408, with the server's Retry-After", () => {
    for (const status of [500, 502, 503, 429, 408]) {
      const classified = classify(httpFailure(status, { "retry-after": "2" }), now);
      expect(classified, String(status)).toMatchObject({ kind: "retry", retryAfterMs: 2000 });
      expect(classified.kind === "retry" && classified.error).toBeInstanceOf(NetworkError);
    }
    expect(classify(httpFailure(503), now)).toMatchObject({ kind: "retry", retryAfterMs: undefined });
  });

  it("takes another 4xx as the answer, as an HTTP_<status> error", () => {
    expect(classify(httpFailure(413), now)).toEqual({
      kind: "answer",
      data: null,
      errors: [{ message: "HTTP 413 Status", extensions: { code: "HTTP_413", status: 413 } }],
    });
  });

  it("retries when there is no response at all", () => {
    const result = makeErrorResult(operation, new TypeError("fetch failed"));
    expect(classify(result, now)).toMatchObject({
      kind: "retry",
      error: { message: "fetch failed" },
      retryAfterMs: undefined,
    });
  });

  it("retries an answer with neither data nor errors (a cut body)", () => {
    const empty: OperationResult = { operation, data: undefined, error: undefined, stale: false, hasNext: false };
    expect(classify(empty, now)).toMatchObject({ kind: "retry" });
  });

  it("keeps a network error the exchange combined with no status as a retry, not an answer", () => {
    const result: OperationResult = {
      operation,
      data: undefined,
      error: new CombinedError({ networkError: new Error("socket hang up") }),
      stale: false,
      hasNext: false,
    };
    expect(classify(result, now)).toMatchObject({ kind: "retry" });
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, and ignores what is neither", () => {
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(retryAfterMs(new Date(now - 5000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
