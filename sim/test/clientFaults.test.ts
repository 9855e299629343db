// The client-side faults of the simulator are real: a kill step ends a
// client instance at a persistence point (the app relaunches over the same
// store and goes on), and a pause step freezes a lock holder past its lease,
// so that another device of the user takes the lock over meanwhile; and the
// runs still keep every invariant.
import { expect, it } from "vitest";
import { defaultOptions, type SimOptions } from "../src/options.ts";
import { drawSchedule, type Step } from "../src/schedule.ts";
import { simulate } from "../src/simulate.ts";
import { useTmpfsForRuns } from "../src/workRoot.ts";

useTmpfsForRuns();

const options: SimOptions = { ...defaultOptions, shrink: false, progress: false, verbose: true };

/** The first `count` seeds whose schedule has a step that `wanted` picks. */
function seedsWith(count: number, wanted: (step: Step, index: number, steps: Step[]) => boolean): number[] {
  const seeds: number[] = [];
  for (let seed = 1; seeds.length < count; seed++) if (drawSchedule(seed, options).some(wanted)) seeds.push(seed);
  return seeds;
}

/** A kill at the lock's first point, not late: the step's own sync reaches it. */
const earlyLockKill = (step: Step, index: number, steps: Step[]) =>
  step.kind === "kill" && step.skip === 0 && step.point.startsWith("lock.") && index < steps.length - 2;
/** A pause in the schedule's first half: the step's own sync is granted the lock while the others still work. */
const earlyPause = (step: Step, index: number, steps: Step[]) => step.kind === "pause" && index < steps.length / 2;

async function run(seeds: number[], sqliteStore = true) {
  const lines: string[] = [];
  const outcome = await simulate({ ...options, sqliteStore, runs: seeds.length }, (line) => lines.push(line), seeds);
  const failures = outcome.failures.map((failure) => failure.seed);
  if (failures.length) console.log(lines.join("\n"));
  return { ...outcome, failures, traces: lines.join("\n") };
}

it("kills client instances at persistence points; the apps relaunch and every invariant holds", async () => {
  const seeds = seedsWith(3, earlyLockKill);
  const outcome = await run(seeds);
  expect(outcome.failures).toEqual([]);
  expect(outcome.totals.faults.clientKill).toBeGreaterThanOrEqual(1);
  // Each kill is followed by a relaunch over the same store.
  const kills = outcome.traces.match(/: client killed at lock\.\w+ \(as by SIGKILL\)/g) ?? [];
  expect(kills.length).toBe(outcome.totals.faults.clientKill);
  expect(outcome.traces.match(/: relaunched \(client #\d+\) over the same store/g)?.length).toBe(kills.length);
}, 300_000);

it("kills clients over MemoryStores too (the relaunched client keeps the store object)", async () => {
  const outcome = await run(seedsWith(2, earlyLockKill), false);
  expect(outcome.failures).toEqual([]);
  expect(outcome.totals.faults.clientKill).toBeGreaterThanOrEqual(1);
}, 300_000);

it("freezes lock holders past their lease: another device takes the lock over, and every invariant holds", async () => {
  const seeds = seedsWith(2, earlyPause);
  const outcome = await run(seeds);
  expect(outcome.failures).toEqual([]);
  const { pausedHolder, leaseTakenOver } = outcome.totals.faults;
  expect(pausedHolder).toBeGreaterThanOrEqual(1);
  // Taken over: another device of the user was granted the lock while the holder was frozen (the server let its lease expire).
  expect(leaseTakenOver).toBeGreaterThanOrEqual(1);
  expect(outcome.traces).toMatch(/thawed; its lease expired and u\d\.d\d took the lock over meanwhile/);
}, 300_000);
