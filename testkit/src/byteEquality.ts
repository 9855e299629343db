// vitest's toEqual compares two Uint8Arrays (Buffers) element by element
// through its generic iterable equality, which costs about a second of CPU
// per MiB: the crash tests' checks of whole downloads were 8 s of the client
// suite's CPU. The api, client and simulator vitest configs load this as a
// setup file, so bytes are compared as bytes. A difference still fails the
// same assertion, with vitest's own diff.
import { expect } from "vitest";

function sameBytes(actual: unknown, expected: unknown): boolean | undefined {
  if (!(actual instanceof Uint8Array) || !(expected instanceof Uint8Array)) return undefined;
  // A Buffer against a plain Uint8Array is vitest's call, as before.
  if (actual.constructor !== expected.constructor) return undefined;
  return Buffer.compare(actual, expected) === 0;
}

expect.addEqualityTesters([sameBytes]);
