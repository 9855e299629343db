// Runs a budget of seeds against one server (shared by the command line and
// the CI test) and sums what they exercised.
import type { SimOptions } from "./options.ts";
import { reproduceCommand } from "./options.ts";
import { emptyTotals, formatReport, type Totals } from "./report.ts";
import { describeStep } from "./schedule.ts";
import { runSimulation, type RunResult } from "./runSimulation.ts";
import { shrink } from "./shrink.ts";
import { startSimServer } from "./simServer.ts";

export interface SimOutcome {
  totals: Totals;
  failures: RunResult[];
}

export async function simulate(options: SimOptions, print: (line: string) => void, seeds?: number[]): Promise<SimOutcome> {
  const started = Date.now();
  const server = await startSimServer(options.cloud);
  const totals = emptyTotals();
  const failures: RunResult[] = [];
  const shape = { users: options.users, devices: options.devices, steps: options.steps, faults: options.faults, sqliteStore: options.sqliteStore, sabotage: options.sabotage };
  const seedList = seeds ?? Array.from({ length: options.runs }, (_, i) => options.seed + i);
  // A promise the client leaves rejected with nobody listening would crash an app under Node's default: a violation of every run in flight then.
  const inFlight = new Set<number>();
  const unhandled = new Map<number, string[]>();
  const onUnhandled = (reason: unknown) => {
    for (const seed of inFlight) unhandled.set(seed, [...(unhandled.get(seed) ?? []), (reason as Error)?.stack ?? String(reason)]);
  };
  process.on("unhandledRejection", onUnhandled);
  try {
    // Runs are independent (fresh users), so several share the server at once: most of a run is waiting on the network.
    const results: RunResult[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.parallel, seedList.length) }, async () => {
        while (next < seedList.length) {
          const seed = seedList[next++];
          inFlight.add(seed);
          const result = await runSimulation(server, seed, shape);
          inFlight.delete(seed);
          if (options.progress) print(`seed ${seed}: ${result.violations.length === 0 ? "ok" : "FAILED"} (${result.operations} steps)`);
          for (const stack of unhandled.get(seed) ?? []) result.violations.push({ invariant: 5, message: `unhandled rejection (with ${options.parallel} runs at once, maybe another run's): ${stack}` });
          results.push(result);
        }
      }),
    );
    results.sort((a, b) => seedList.indexOf(a.seed) - seedList.indexOf(b.seed));
    for (const result of results) {
      const { seed } = result;
      add(totals, result);
      if (options.verbose) print(`--- seed ${seed} trace:\n${result.trace}`);
      if (result.violations.length === 0) continue;
      totals.failed++;
      failures.push(result);
      print(`\nFAILED seed ${seed}: ${reproduceCommand(options, seed)}`);
      for (const violation of result.violations) print(`  invariant ${violation.invariant}: ${violation.message}`);
      print(`trace:\n${result.trace}`);
      if (options.shrink) {
        const shorter = await shrink(server, seed, shape, result);
        if (shorter.steps.length < result.steps.length) {
          print(`shrunk to ${shorter.steps.length} of ${result.steps.length} steps (violations: ${shorter.violations.map((v) => `#${v.invariant}`).join(" ")}):`);
          for (const [i, step] of shorter.steps.entries()) print(`  #${i} ${describeStep(step)}`);
          print(`shrunk trace:\n${shorter.trace}`);
        }
      }
    }
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await server.close();
  }
  totals.seconds = (Date.now() - started) / 1000;
  print(`\n${formatReport(totals)}`);
  return { totals, failures };
}

function add(totals: Totals, result: RunResult): void {
  totals.runs++;
  totals.devices += result.devices;
  totals.operations += result.operations;
  for (const key of Object.keys(result.faults) as (keyof typeof result.faults)[]) totals.faults[key] += result.faults[key];
  for (const n of [1, 2, 3, 4, 5, 6] as const) totals.checks[n] += result.checks[n];
  totals.uploadsConfirmed += result.uploadsConfirmed;
  totals.downloadsSaved += result.downloadsSaved;
  totals.deletionsApplied += result.deletionsApplied;
  totals.conflicts += result.conflicts;
}
