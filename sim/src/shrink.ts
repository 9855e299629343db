// On a failure, look for a shorter schedule that still fails: shorter
// prefixes first (halving), then dropping single fault steps. A shrunk
// schedule is printed step by step: it is no longer the seed's own.
import type { RunResult, RunShape } from "./runSimulation.ts";
import { runSimulation } from "./runSimulation.ts";
import type { SimServer } from "./simServer.ts";

/** Bounds the time a shrink may take: each attempt is a whole run. */
const maxAttempts = 12;

export async function shrink(server: SimServer, seed: number, shape: RunShape, failed: RunResult): Promise<RunResult> {
  let best = failed;
  let attempts = 0;
  // Prefixes: the shortest prefix that still fails.
  let length = Math.floor(best.steps.length / 2);
  while (length >= 1 && attempts < maxAttempts) {
    attempts++;
    const result = await runSimulation(server, seed, shape, best.steps.slice(0, length));
    if (result.violations.length > 0) {
      best = result;
      length = Math.floor(length / 2);
    } else {
      break;
    }
  }
  // Then drop one fault step at a time.
  for (let i = best.steps.length - 1; i >= 0 && attempts < maxAttempts; i--) {
    if (!["cut", "offline", "relaunch", "cloudFault", "suspendResume"].includes(best.steps[i].kind)) continue;
    attempts++;
    const result = await runSimulation(server, seed, shape, best.steps.filter((_, j) => j !== i));
    if (result.violations.length > 0) best = result;
  }
  return best;
}
