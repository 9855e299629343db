// CI's budget of the simulator (issue 5; its test files: simulation.local.test.ts,
// simulation.googleDrive.test.ts): a fixed range of seeds, small runs
// on a server process per slot, every invariant checked after each; and the
// schedule of every run that once found a bug (regressions/), replayed. A
// failure prints the command that reproduces the run and its trace.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { defaultOptions, type SimOptions } from "../src/options.ts";
import { testProvider } from "@smsync/testkit";
import { commitBand } from "../src/commitBand.ts";
import { loadRecordedRun } from "../src/recordedRun.ts";
import { simulate } from "../src/simulate.ts";
import { useTmpfsForRuns } from "../src/workRoot.ts";

useTmpfsForRuns();

/**
 * CI's budget: small runs, 2 users x 2 devices x 12 steps, 4 at a time, each
 * slot on its own server process. `npm test` runs the SQLite budget on the
 * local cloud and on the fake Google Drive; `npm run test:postgres`
 * (SMSYNC_TEST_DATABASE=postgresql) a smaller one on PostgreSQL. With the
 * commit's band and the regressions that is about 100 runs a CI run. A run
 * costs about 2 s of CPU (docs/testing.md, "In CI"), and the simulator was
 * most of the suite's CPU: the budget is sized so that `npm test` stays
 * within its time (CONTRIBUTING.md). Larger runs by hand: `npm run sim --
 * --seed 1000 --runs 1000`.
 */
const ciOptions: SimOptions = { ...defaultOptions, steps: 12, shrink: false, progress: false };
const onPostgres = testProvider === "postgresql";
const budgets: { cloud: SimOptions["cloud"]; firstSeed: number; runs: number }[] = onPostgres
  ? // Seeds past the local cloud's on SQLite: other schedules, among them permanent cloud faults that end in resets.
    [{ cloud: "local", firstSeed: 89, runs: 16 }]
  : [
      { cloud: "local", firstSeed: 1, runs: 36 },
      { cloud: "google-drive", firstSeed: 1, runs: 12 },
    ];
/** Besides the fixed seeds, a band drawn from the commit (commitBand.ts): every commit explores 20 schedules no earlier one ran. */
const band = commitBand(20);
/** The schedules that found bugs (see docs/testing.md, each file's note), as they were drawn then: each must stay green. */
const regressionsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "regressions");
const regressions = readdirSync(regressionsDir)
  .filter((name) => name.endsWith(".json"))
  .map((name) => loadRecordedRun(path.join(regressionsDir, name)));

/** The fixed seeds on one cloud (simulation.local.test.ts, simulation.googleDrive.test.ts: two files, so that two workers share them). */
export function budgetCases(cloud: SimOptions["cloud"]): void {
  for (const budget of budgets.filter((candidate) => candidate.cloud === cloud)) {
    it(`${budget.runs} seeded runs (cloud ${budget.cloud}, ${testProvider}) keep every invariant`, async () => {
      const lines: string[] = [];
      const seeds = Array.from({ length: budget.runs }, (_, i) => budget.firstSeed + i);
      const outcome = await simulate(
        { ...ciOptions, cloud: budget.cloud, runs: seeds.length },
        (line) => lines.push(line),
        seeds,
      );
      console.log(lines.join("\n"));
      expect(outcome.failures.map((failure) => failure.seed)).toEqual([]);
      // A budget that exercised nothing would prove nothing.
      expect(outcome.totals.operations).toBeGreaterThan(budget.runs * 8);
      for (const invariant of [1, 2, 3, 4, 5, 6] as const) expect(outcome.totals.checks[invariant]).toBeGreaterThan(0);
      const faults = outcome.totals.faults;
      for (const kind of ["networkCut", "offline", "relaunch", "cloud", "clientKill", "resetFromError"] as const)
        expect(faults[kind], kind).toBeGreaterThan(0);
      if (budget.cloud === "google-drive") expect(faults.driveFault).toBeGreaterThan(0);
    });
  }
}

/** The commit's band and the regression schedules (simulation.googleDrive.test.ts). */
export function bandAndRegressionCases(): void {
  it.skipIf(onPostgres)(
    `${band.runs} seeded runs drawn from the ${band.source.split(" ")[0]} (seeds ${band.firstSeed}..${band.firstSeed + band.runs - 1}) keep every invariant`,
    async () => {
      const lines = [
        `the commit's band: seeds ${band.firstSeed}..${band.firstSeed + band.runs - 1}, from ${band.source}`,
      ];
      const seeds = Array.from({ length: band.runs }, (_, i) => band.firstSeed + i);
      const outcome = await simulate({ ...ciOptions, runs: seeds.length }, (line) => lines.push(line), seeds);
      if (outcome.failures.length)
        lines.push(
          `the whole band again: npm run sim -- --seed ${band.firstSeed} --runs ${band.runs} --steps ${ciOptions.steps}`,
        );
      console.log(lines.join("\n"));
      expect(outcome.failures.map((failure) => failure.seed)).toEqual([]);
    },
  );

  it.skipIf(onPostgres)(`${regressions.length} regression schedules keep every invariant`, async () => {
    const lines: string[] = [];
    const clouds = [...new Set(regressions.map((run) => run.cloud))];
    for (const cloud of clouds) {
      const runs = regressions.filter((run) => run.cloud === cloud);
      const outcome = await simulate({ ...ciOptions, cloud, runs: runs.length }, (line) => lines.push(line), runs);
      expect(outcome.failures.map((failure) => failure.seed)).toEqual([]);
    }
    console.log(lines.join("\n"));
  });
}
