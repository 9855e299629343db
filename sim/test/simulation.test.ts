// CI's budget of the simulator (issue 5): a fixed range of seeds, small runs
// on a server process per slot, every invariant checked after each; and the
// schedule of every run that once found a bug (regressions/), replayed. A
// failure prints the command that reproduces the run and its trace.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { defaultOptions, type SimOptions } from "../src/options.ts";
import { loadRecordedRun } from "../src/recordedRun.ts";
import { simulate } from "../src/simulate.ts";
import { useTmpfsForRuns } from "../src/workRoot.ts";

useTmpfsForRuns();

/** Small runs (2 users x 2 devices x 20 steps, the defaults), 4 at a time on one server. */
const ciOptions: SimOptions = { ...defaultOptions, shrink: false, progress: false };
/** The budget: seeds 1..N (about 2.5 s a run on a 2-core machine). */
const budgetRuns = 40;
/** The schedules that found bugs (see docs/testing.md, each file's note), as they were drawn then: each must stay green. */
const regressionsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "regressions");
const regressions = readdirSync(regressionsDir)
  .filter((name) => name.endsWith(".json"))
  .map((name) => loadRecordedRun(path.join(regressionsDir, name)));

it(`${budgetRuns} seeded runs and ${regressions.length} regression schedules keep every invariant`, async () => {
  const lines: string[] = [];
  const runs = [...Array.from({ length: budgetRuns }, (_, i) => i + 1), ...regressions];
  const outcome = await simulate({ ...ciOptions, runs: runs.length }, (line) => lines.push(line), runs);
  console.log(lines.join("\n"));
  expect(outcome.failures.map((failure) => failure.seed)).toEqual([]);
  // A budget that exercised nothing would prove nothing.
  expect(outcome.totals.operations).toBeGreaterThan(budgetRuns * 10);
  expect(outcome.totals.checks[1]).toBeGreaterThan(0);
});

it("fails a run whose app loses a file (the checks can fail)", async () => {
  // --sabotage: u0.d1's app never stores the first file it is handed; seeds 1 and 3 keep that file live.
  const outcome = await simulate({ ...ciOptions, sabotage: true, runs: 2 }, () => undefined, [1, 3]);
  expect(outcome.failures.map((failure) => failure.seed)).toEqual([1, 3]);
  for (const failure of outcome.failures) expect(failure.violations.map((violation) => violation.invariant)).toContain(2);
});
