// On a failure, look for a shorter schedule that still fails, by delta
// debugging (Zeller's ddmin, complements only): drop a half of the steps,
// then a quarter, ... down to single steps, keeping any cut after which the
// run still fails. Each attempt is a whole run on the same seed, so a step
// keeps its own choices when others are dropped (see rng.ts). A shrunk
// schedule is printed step by step: it is no longer the seed's own.
import type { RunResult, RunShape } from "./runSimulation.ts";
import { runSimulation } from "./runSimulation.ts";
import type { SimServer } from "./simServer.ts";
import type { Step } from "./schedule.ts";

export interface ShrinkLimits {
  /** Whole runs it may spend (each a few seconds). */
  maxAttempts: number;
}

export const defaultShrinkLimits: ShrinkLimits = { maxAttempts: 40 };

export interface ShrinkOutcome {
  best: RunResult;
  attempts: number;
}

export async function shrink(
  server: SimServer,
  seed: number,
  shape: RunShape,
  failed: RunResult,
  limits = defaultShrinkLimits,
): Promise<ShrinkOutcome> {
  let best = failed;
  let attempts = 0;
  const failsWith = async (steps: Step[]): Promise<boolean> => {
    attempts++;
    const result = await runSimulation(server, seed, shape, steps);
    if (result.violations.length === 0) return false;
    best = result;
    return true;
  };
  let parts = 2;
  while (best.steps.length > 0 && attempts < limits.maxAttempts) {
    const steps = best.steps;
    const size = Math.ceil(steps.length / parts);
    let cut = false;
    for (let start = 0; start < steps.length && attempts < limits.maxAttempts; start += size) {
      if (await failsWith([...steps.slice(0, start), ...steps.slice(start + size)])) {
        cut = true;
        break;
      }
    }
    if (cut) parts = Math.max(parts - 1, 2);
    else if (size === 1)
      break; // no single step can go: 1-minimal
    else parts = Math.min(parts * 2, steps.length);
  }
  return { best, attempts };
}
