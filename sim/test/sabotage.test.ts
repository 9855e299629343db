// Every invariant's check can fail: for each, a run with its sabotage on
// (sabotage.ts, a deliberate defect in the simulated app or the simulator's
// view) must fail, and on that invariant alone. The runs have no step
// and no fault: the files each user seeds on its devices before the schedule
// are enough to trigger each defect, so they fail the same way every time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultOptions, parseOptions, type SimOptions } from "../src/options.ts";
import { sabotages, type Sabotage } from "../src/sabotage.ts";
import { simulate } from "../src/simulate.ts";
import { useTmpfsForRuns } from "../src/workRoot.ts";

useTmpfsForRuns();

// The failing runs' schedules go to a folder of the test's own, not over sim-failures/.
const failuresDir = mkdtempSync(path.join(tmpdir(), "smsync-sabotage-"));
afterAll(() => rmSync(failuresDir, { recursive: true, force: true }));

const quiet: SimOptions = {
  ...defaultOptions,
  faults: false,
  steps: 0,
  shrink: false,
  progress: false,
  parallel: 1,
  failuresDir,
};

describe.each(Object.entries(sabotages).map(([n, defect]) => [Number(n) as Sabotage, defect] as const))(
  "--sabotage %i",
  (invariant, defect) => {
    it(`fails invariant ${invariant}, and only it: ${defect}`, async () => {
      const lines: string[] = [];
      const outcome = await simulate({ ...quiet, sabotage: invariant, runs: 1 }, (line) => lines.push(line), [1]);
      const failed = outcome.failures.map((failure) => ({
        seed: failure.seed,
        invariants: [...new Set(failure.violations.map((violation) => violation.invariant))],
      }));
      expect(failed, lines.join("\n")).toEqual([{ seed: 1, invariants: [invariant] }]);
      // The report names the invariant, and the command that reproduces a failure keeps the sabotage.
      expect(lines.join("\n")).toContain(`invariant ${invariant}: `);
      expect(lines.join("\n")).toContain(`--sabotage ${invariant}`);
    });
  },
);

it("--sabotage alone keeps its old meaning (u0.d1's app loses a file: invariant 2); N must be an invariant", () => {
  expect(parseOptions(["--sabotage"]).sabotage).toBe(2);
  expect(parseOptions(["--sabotage", "--runs", "3"])).toMatchObject({ sabotage: 2, runs: 3 });
  expect(parseOptions(["--sabotage", "5"]).sabotage).toBe(5);
  expect(parseOptions([]).sabotage).toBeUndefined();
  expect(() => parseOptions(["--sabotage", "7"])).toThrow("1 to 6");
});

it("the old sabotage fails runs with faults too (seeds 1 and 3 of the CI budget keep u0.d1's first file live)", async () => {
  const outcome = await simulate(
    { ...defaultOptions, steps: 12, shrink: false, progress: false, failuresDir, sabotage: 2, runs: 2 },
    () => undefined,
    [1, 3],
  );
  expect(outcome.failures.map((failure) => failure.seed)).toEqual([1, 3]);
  for (const failure of outcome.failures)
    expect(failure.violations.map((violation) => violation.invariant)).toContain(2);
});
