// The backoff between a transfer's attempts (SPEC 3 "Retries"): exponential,
// capped, with full jitter. The retries themselves are in retries.test.ts.
import { describe, expect, it } from "vitest";
import { transferRetryDelayMs } from "../../src/transfers/backoff.ts";

describe("backoff", () => {
  const config = { transferBackoffBaseMs: 100, transferBackoffCapMs: 10_000 };
  it("grows exponentially from the base up to the cap, with full jitter below each ceiling", () => {
    expect([1, 2, 3, 4].map((attempt) => transferRetryDelayMs(attempt, config, () => 0.999_999))).toEqual([
      100, 200, 400, 800,
    ]);
    expect([1, 2, 3, 4].map((attempt) => transferRetryDelayMs(attempt, config, () => 0))).toEqual([0, 0, 0, 0]);
    expect(transferRetryDelayMs(30, config, () => 0.999_999)).toBe(10_000);
    expect(transferRetryDelayMs(10_000, config, () => 0.5)).toBe(5000);
  });
});
