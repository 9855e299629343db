// The band of seeds CI runs besides its fixed ones: drawn from the commit
// under test, so every commit explores schedules no earlier one ran, while a
// failure stays reproducible (the band's first seed names it, whatever the
// machine). The commit comes from SMSYNC_SIM_COMMIT, else the CI's
// GITHUB_SHA or CI_COMMIT_SHA, else `git rev-parse HEAD`; with none of them
// (a tarball), from the date, so a day's runs agree.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";

/** Seeds of the bands start here, above every fixed range and every hand-run band (docs/testing.md). */
const firstBandSeed = 1_000_000_000;
const bandSpan = 1_000_000_000;

export interface CommitBand {
  /** What the seeds were drawn from: `commit <sha>` or `date <YYYY-MM-DD>`. */
  source: string;
  firstSeed: number;
  runs: number;
}

export function commitBand(runs: number, env: NodeJS.ProcessEnv = process.env, now = new Date()): CommitBand {
  const commit = env.SMSYNC_SIM_COMMIT || env.GITHUB_SHA || env.CI_COMMIT_SHA || gitHead();
  const source = commit ? `commit ${commit}` : `date ${now.toISOString().slice(0, 10)}`;
  const digest = createHash("sha256").update(source).digest();
  // Whole bands only, so two commits' bands never overlap in part.
  const bands = Math.floor(bandSpan / runs);
  return { source, firstSeed: firstBandSeed + (digest.readUInt32BE(0) % bands) * runs, runs };
}

function gitHead(): string | undefined {
  try {
    return (
      execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() ||
      undefined
    );
  } catch (error) {
    // No git here (ENOENT), or git ran and found no repository (its exit status): no commit to name.
    const failure = error as NodeJS.ErrnoException & { status?: number | null };
    if (failure.code === "ENOENT" || typeof failure.status === "number") return undefined;
    throw error;
  }
}
