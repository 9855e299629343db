// `npm run bench` (client part): how long `smsync` takes to start
// (startup.ts), then `smsync sync` of a folder of many small files
// and of a folder of a few large ones, from empty, run as a person runs it (the
// built CLI in its own process against a real server on 127.0.0.1), against `cp -r`
// of the same folder in the same run, the floor of this machine's disk; with
// the client's peak memory.
// Options: --quick (100 small files, 3 large of 16 MiB), --json, --quiet,
// --folders small,large, and the sizes below, as flags or environment variables
// (the environment is what reaches it through the root `npm run bench`, whose
// flags go to the api benchmarks too). Unknown flags are ignored for that
// reason. Progress goes to stderr.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  onCleanup,
  progress,
  runCleanup,
  setQuiet,
  elapsedSeconds,
  interrupted,
  trackDir,
} from "@smsync/testkit/bench";
import { startTestServer } from "@smsync/testkit";
import { measureStartup } from "./startup.ts";
import { renderReport } from "./syncReport.ts";
import { runScenario, type ScenarioResult } from "./syncScenario.ts";
import { canMeasureMemory } from "./timedRun.ts";

const usage = `usage: npm run bench --workspace client [-- options]
  --quick               100 files of 4 KiB, 3 of 16 MiB
  --json                the figures as JSON on stdout (the table goes to stderr)
  --folders <list>      small, large or both (default: small,large)
  --small-files <n>     files in the small-files folder (default 1000)   env SMSYNC_BENCH_SMALL_FILES
  --small-kib <n>       size of each small file (default 4)              env SMSYNC_BENCH_SMALL_KIB
  --large-files <n>     files in the large-files folder (default 10)     env SMSYNC_BENCH_LARGE_FILES
  --large-mib <n>       size of each large file (default 64)             env SMSYNC_BENCH_LARGE_MIB
  --quiet               no progress on stderr`;

const { values } = parseArgs({
  strict: false,
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    folders: { type: "string" },
    "small-files": { type: "string" },
    "small-kib": { type: "string" },
    "large-files": { type: "string" },
    "large-mib": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
// Through two npms (root, then --workspaces) a flag can arrive as npm_config_<name> (see api/bench/run.ts).
const fromNpm = (name: string) => process.env[`npm_config_${name}`] === "true";
const quick = values.quick === true || fromNpm("quick");
const json = values.json === true || fromNpm("json");

function positive(flag: string, variable: string, fallback: number): number {
  const text = values[flag] ?? process.env[variable];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (typeof text !== "string" || !Number.isFinite(value) || value <= 0) {
    console.error(`bench: --${flag} (${variable}) must be a positive number (got ${String(text)})\n${usage}`);
    process.exit(2);
  }
  return value;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const scenarios = {
  small: {
    files: Math.round(positive("small-files", "SMSYNC_BENCH_SMALL_FILES", quick ? 100 : 1000)),
    bytesEach: Math.round(positive("small-kib", "SMSYNC_BENCH_SMALL_KIB", 4) * KiB),
  },
  large: {
    files: Math.round(positive("large-files", "SMSYNC_BENCH_LARGE_FILES", quick ? 3 : 10)),
    bytesEach: Math.round(positive("large-mib", "SMSYNC_BENCH_LARGE_MIB", quick ? 16 : 64) * MiB),
  },
};
const only = String(values.folders ?? "small,large")
  .split(",")
  .map((name) => name.trim());
for (const name of only) {
  if (!(name in scenarios)) {
    console.error(`bench: unknown folder ${name} in --folders\n${usage}`);
    process.exit(2);
  }
}
setQuiet(values.quiet === true);

const environment = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}`,
  memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  loadAverage: os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(" "),
  tmpdir: os.tmpdir(),
  peakMemory: canMeasureMemory ? "GNU time %M (maxrss)" : "not measured (no /usr/bin/time)",
  mode: quick ? "quick" : "full",
};

/** Whether every step succeeded; the report is printed either way. */
async function main(): Promise<boolean> {
  progress(`smsync sync bench (${environment.mode}): ${only.join(", ")}`);
  progress("start-up: smsync --version and --help, 10 times each");
  const startup = await measureStartup();
  const workDir = trackDir(mkdtempSync(path.join(os.tmpdir(), "smsync-bench-sync-")));
  progress("starting the in-process test server");
  const server = await startTestServer();
  trackDir(server.dir);
  onCleanup("in-process server", () => server.close());
  const results: ScenarioResult[] = [];
  for (const name of only as (keyof typeof scenarios)[]) {
    results.push(await runScenario(server, workDir, name, scenarios[name]));
  }
  const report = renderReport(environment, startup, results, elapsedSeconds());
  if (json) {
    process.stderr.write(`${report}\n`);
    process.stdout.write(
      `${JSON.stringify({ environment, startup, scenarios: results, seconds: elapsedSeconds() }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${report}\n`);
  }
  return results.every((result) => result.rows.every((row) => !row.error));
}

let exitCode = 0;
try {
  if (!(await main())) exitCode = 1;
} catch (error) {
  exitCode = interrupted() ? 130 : 1;
  console.error(interrupted() ? `bench interrupted by ${interrupted()}` : "bench failed:", interrupted() ? "" : error);
} finally {
  await runCleanup();
}
process.exit(exitCode);
