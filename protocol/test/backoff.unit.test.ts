// The shared retry backoff: exponential ceilings, capped, with full jitter.
import { describe, expect, it } from "vitest";
import { backoffCeilingMs, backoffDelayMs } from "../src/index.ts";

const limits = { baseMs: 100, capMs: 10_000 };

describe("backoffCeilingMs", () => {
  it("starts at the base and doubles per attempt, up to the cap", () => {
    expect([1, 2, 3, 4, 7, 8].map((attempt) => backoffCeilingMs(attempt, limits))).toEqual([
      100, 200, 400, 800, 6400, 10_000,
    ]);
  });

  it("stays at the cap after any number of failures (never Infinity)", () => {
    expect(backoffCeilingMs(10_000, limits)).toBe(10_000);
    expect(backoffCeilingMs(Number.MAX_SAFE_INTEGER, { baseMs: 1, capMs: Number.MAX_VALUE })).toBe(2 ** 52);
  });

  it("treats an attempt below 1 as the first", () => {
    expect(backoffCeilingMs(0, limits)).toBe(100);
  });
});

describe("backoffDelayMs", () => {
  it("draws over the whole of [0, ceiling]: full jitter, not the upper half", () => {
    expect([1, 2, 3].map((attempt) => backoffDelayMs(attempt, limits, () => 0))).toEqual([0, 0, 0]);
    expect([1, 2, 3].map((attempt) => backoffDelayMs(attempt, limits, () => 0.25))).toEqual([25, 50, 100]);
    expect([1, 2, 3].map((attempt) => backoffDelayMs(attempt, limits, () => 0.999_999))).toEqual([100, 200, 400]);
    expect(backoffDelayMs(30, limits, () => 0.5)).toBe(5000);
  });

  it("never leaves [0, cap] with Math.random", () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const delay = backoffDelayMs(attempt, limits);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(backoffCeilingMs(attempt, limits));
      expect(Number.isInteger(delay)).toBe(true);
    }
  });
});
