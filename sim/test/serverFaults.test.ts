// The server-side faults of the simulator are real: a serverCrash step kills
// the run's server process (its pid changes, the dead one is gone) and a
// driveFault step makes the fake Drive answer the run's requests with
// faults; and the runs still keep every invariant.
import { expect, it } from "vitest";
import { defaultOptions, type SimOptions } from "../src/options.ts";
import { drawSchedule } from "../src/schedule.ts";
import { simulate } from "../src/simulate.ts";
import { useTmpfsForRuns } from "../src/workRoot.ts";

useTmpfsForRuns();

const options: SimOptions = { ...defaultOptions, cloud: "google-drive", shrink: false, progress: false, parallel: 3 };

/**
 * The first seeds whose schedule kills the server at once (not at a crash
 * point, which a run may never reach) and, early, arms a Drive fault on the
 * user's next request of any kind (one the user's later syncs will meet).
 */
function seedsWithServerFaults(count: number): number[] {
  const seeds: number[] = [];
  for (let seed = 1; seeds.length < count; seed++) {
    const steps = drawSchedule(seed, options);
    const killsNow = steps.some((step) => step.kind === "serverCrash" && step.point === "now");
    const earlyDriveFault = steps.some(
      (step, index) => step.kind === "driveFault" && step.on === "any" && index < steps.length / 2,
    );
    if (killsNow && earlyDriveFault) seeds.push(seed);
  }
  return seeds;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("kills and restarts the run's server process and injects Drive faults, and the runs keep every invariant", async () => {
  const seeds = seedsWithServerFaults(3);
  const lines: string[] = [];
  const outcome = await simulate({ ...options, runs: seeds.length }, (line) => lines.push(line), seeds);
  console.log(lines.join("\n"));
  expect(outcome.failures.map((failure) => failure.seed)).toEqual([]);
  const { serverCrash, driveFault } = outcome.totals.faults;
  expect(serverCrash).toBeGreaterThanOrEqual(seeds.length);
  expect(driveFault).toBeGreaterThanOrEqual(seeds.length);
  expect(outcome.driveFaultsStruck).toBeGreaterThan(0);
  // Each crash counted is a process that died and a new one (another pid) started in its place.
  const pids = outcome.serverPids.flat();
  expect(new Set(pids).size).toBe(pids.length);
  expect(pids.length).toBe(outcome.serverPids.length + serverCrash);
  expect(pids.filter(isAlive)).toEqual([]);
}, 300_000);
