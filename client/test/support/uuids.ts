// Fresh UUIDs for a test, as a tuple of the length asked for, so that each
// one is known to be there: `const [a, b] = randomUUIDs(2)`.
import { randomUUID } from "node:crypto";

type Tuple<T, N extends number, Built extends T[] = []> = Built["length"] extends N
  ? Built
  : Tuple<T, N, [...Built, T]>;

function fresh(count: number): string[] {
  return Array.from({ length: count }, () => randomUUID());
}

export function randomUUIDs<N extends number>(count: N): Tuple<string, N> {
  return fresh(count) as Tuple<string, N>;
}

/** As randomUUIDs, in sorted order: the order in which the engine takes files (by fileUUID). */
export function sortedUUIDs<N extends number>(count: N): Tuple<string, N> {
  return fresh(count).sort() as Tuple<string, N>;
}
