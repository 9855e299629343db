// Vitest's asymmetric matchers (expect.any, expect.stringMatching, ...) are
// typed `any`, so an expected value that holds one (`toEqual({ message:
// expect.any(String) })`) is an unsafe assignment to the type-checked lint
// rules. These are the same matchers, typed as what they are: a value that
// stands in for another one, `unknown`.
import { expect } from "vitest";

export const matchers = {
  any: (constructor: unknown): unknown => expect.any(constructor),
  stringContaining: (expected: string): unknown => expect.stringContaining(expected),
  stringMatching: (expected: string | RegExp): unknown => expect.stringMatching(expected),
  objectContaining: (expected: Record<string, unknown>): unknown => expect.objectContaining(expected),
};
