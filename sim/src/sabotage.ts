// `--sabotage N`: a deliberate defect that breaks invariant N, to show that
// its check can fail. Each is injected in the simulated app or in the
// simulator's own view (its bookkeeping, its listing of the cloud), never in
// the product, and is chosen so that invariant N is the only one that fails
// (sim/test/sabotage.test.ts runs each and asserts so).
import type { InvariantNumber } from "./invariantNames.ts";

export type Sabotage = InvariantNumber;

export const sabotages: Record<Sabotage, string> = {
  1: "u0.d0's app records the first change it commits with a sha256 other than that of the bytes it queued",
  2: "u0.d1's app never stores the first file it is handed (any version)",
  3: "the simulator's listing of user 0's cloud shows its first object twice",
  4: "u0.d1's app misses the first singleDownloadComplete event",
  5: "after settling, u0.d1's app queues its first held file again and never commits it",
  6: "the simulator's bookkeeping takes user 1's first file for one of user 0's",
};

/** `--sabotage` alone: the old meaning (an app that loses a file). */
export const defaultSabotage: Sabotage = 2;

export function parseSabotage(value: string): Sabotage {
  const n = Number(value);
  if (!(n in sabotages) || !Number.isInteger(n)) throw new Error(`--sabotage takes an invariant, 1 to 6, not ${value}`);
  return n as Sabotage;
}
