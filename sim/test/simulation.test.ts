// CI's budget of the simulator (issue 5): a fixed range of seeds, small runs
// on one server, every invariant checked after each; and every seed that
// once found a bug, replayed. A failure prints the command that reproduces
// the run and its trace.
import { expect, it } from "vitest";
import { defaultOptions, type SimOptions } from "../src/options.ts";
import { simulate } from "../src/simulate.ts";

/** Small runs, so several hundred fit in a few minutes. */
const ciOptions: SimOptions = { ...defaultOptions, users: 2, devices: 2, steps: 15, shrink: false };
/** The budget: seeds 1..N. */
const budgetRuns = 20;
/** Seeds that found bugs (see docs/testing.md); each must stay green. */
const regressionSeeds: number[] = [];

it(`${budgetRuns} seeded runs and ${regressionSeeds.length} regression seeds keep every invariant`, async () => {
  const lines: string[] = [];
  const seeds = [...Array.from({ length: budgetRuns }, (_, i) => i + 1), ...regressionSeeds];
  const outcome = await simulate({ ...ciOptions, runs: seeds.length }, (line) => lines.push(line), seeds);
  console.log(lines.join("\n"));
  expect(outcome.failures.map((failure) => failure.seed)).toEqual([]);
  // A budget that exercised nothing would prove nothing.
  expect(outcome.totals.operations).toBeGreaterThan(budgetRuns * 10);
  expect(outcome.totals.checks[1]).toBeGreaterThan(0);
});
