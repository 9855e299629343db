// The commit's band of seeds: the same commit gives the same seeds on every
// machine, another commit other ones, and a checkout with no commit the day's.
import { expect, it } from "vitest";
import { commitBand } from "../src/commitBand.ts";

it("a commit names its band; another commit names another, whole and above the fixed seeds", () => {
  const a = commitBand(20, { GITHUB_SHA: "4b825dc642cb6eb9a060e54bf8d69288fbee4904" });
  expect(commitBand(20, { SMSYNC_SIM_COMMIT: "4b825dc642cb6eb9a060e54bf8d69288fbee4904" })).toEqual(a);
  expect(a).toMatchObject({ source: "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904", runs: 20 });
  const b = commitBand(20, { CI_COMMIT_SHA: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" });
  expect(b.firstSeed).not.toBe(a.firstSeed);
  for (const band of [a, b]) {
    expect(band.firstSeed).toBeGreaterThanOrEqual(1_000_000_000);
    expect((band.firstSeed - 1_000_000_000) % 20).toBe(0);
    expect(band.firstSeed + band.runs - 1).toBeLessThan(2 ** 32);
  }
});

it("the working tree's commit by default", () => {
  expect(commitBand(20, {}).source).toMatch(/^commit [0-9a-f]{40}$/);
});
