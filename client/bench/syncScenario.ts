// One folder through the sync benchmark: `cp -r` of it (the floor: the same
// bytes read and written on the same disk, nothing else), then `smsync sync`
// of it by a device of a new account (upload, from empty), then `smsync sync`
// of an empty folder by a second device of that account (download). A failed
// upload skips the download (there is nothing to download).
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { TestServer } from "@smsync/testkit";
import { progress } from "@smsync/testkit/bench";
import { folderTotals, writeFolder, type FolderSpec } from "./benchFolders.ts";
import { timedRun, type TimedRun } from "./timedRun.ts";

/** The bin as a person runs it: the CLI built into dist/ (`npm run bench` builds first). */
export const smsyncBin = path.resolve(import.meta.dirname, "../bin/smsync.js");

export interface ScenarioRow {
  step: "cp -r" | "smsync sync (up)" | "smsync sync (down)";
  files: number;
  bytes: number;
  seconds: number;
  /** The sync's own time as the CLI reports it (without Node's start-up and the login check). */
  syncSeconds: number | null;
  maxRssBytes: number | null;
  /** Why the step failed (then the figures are of the failed run, and the steps after it are skipped). */
  error?: string;
}

export interface ScenarioResult {
  name: string;
  spec: FolderSpec;
  rows: ScenarioRow[];
}

function check(run: TimedRun, what: string): TimedRun {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${run.stderr}\n${run.stdout}`);
  return run;
}

async function login(server: TestServer, configFile: string, token: string): Promise<void> {
  const env = { ...process.env, SMSYNC_CONFIG: configFile };
  check(
    await timedRun(process.execPath, [smsyncBin, "login", "--server", server.url, "--token", token], env),
    "smsync login",
  );
}

/** SMSYNC_BENCH_CLI_PROFILE=DIR: each `smsync sync` writes a CPU profile there (Node refuses --cpu-prof in NODE_OPTIONS). */
const profileArgs = process.env.SMSYNC_BENCH_CLI_PROFILE
  ? ["--cpu-prof", `--cpu-prof-dir=${process.env.SMSYNC_BENCH_CLI_PROFILE}`]
  : [];

/** A sync that fails is a result too: its row says why, and the run goes on with the next folder. */
async function sync(configFile: string, dir: string, step: ScenarioRow["step"]): Promise<ScenarioRow> {
  const env = { ...process.env, SMSYNC_CONFIG: configFile };
  const run = await timedRun(process.execPath, [...profileArgs, smsyncBin, "sync", dir, "--json", "--quiet"], env);
  let summary: { ok?: boolean; seconds?: number; error?: string; code?: string } = {};
  try {
    summary = JSON.parse(run.stdout) as typeof summary;
  } catch {
    // Not JSON: the CLI died before its summary; stderr says why.
  }
  const { files, bytes } = folderTotals(dir);
  const row: ScenarioRow = {
    step,
    files,
    bytes,
    seconds: run.seconds,
    syncSeconds: summary.seconds ?? null,
    maxRssBytes: run.maxRssBytes,
  };
  if (run.code !== 0 || summary.ok !== true) {
    row.error = `exit ${run.code}: ${summary.error ?? run.stderr.trim().split("\n").at(-1)}${summary.code ? ` (${summary.code})` : ""}`;
    progress(`${step} failed: ${row.error}`);
  }
  return row;
}

export async function runScenario(
  server: TestServer,
  workDir: string,
  name: string,
  spec: FolderSpec,
): Promise<ScenarioResult> {
  const base = path.join(workDir, name);
  const source = path.join(base, "source");
  progress(`${name}: writing ${spec.files} file(s) of ${spec.bytesEach} bytes`);
  writeFolder(source, spec);
  const expected = folderTotals(source);
  const rows: ScenarioRow[] = [];

  progress(`${name}: cp -r`);
  const copy = path.join(base, "copy");
  const cp = check(await timedRun("cp", ["-r", source, copy]), "cp -r");
  rows.push({
    step: "cp -r",
    ...folderTotals(copy),
    seconds: cp.seconds,
    syncSeconds: null,
    maxRssBytes: cp.maxRssBytes,
  });
  rmSync(copy, { recursive: true, force: true });

  const first = await server.newUser(`bench-${name}-${process.pid}`);
  const second = await server.newDevice(first.userName);
  const firstConfig = path.join(base, "first.json");
  const secondConfig = path.join(base, "second.json");
  await login(server, firstConfig, first.token!);
  await login(server, secondConfig, second.token!);

  progress(`${name}: smsync sync, upload from empty`);
  const up = await sync(firstConfig, source, "smsync sync (up)");
  rows.push(up);

  if (!up.error) {
    progress(`${name}: smsync sync on a second device, download into an empty folder`);
    const target = path.join(base, "target");
    mkdirSync(target);
    rows.push(await sync(secondConfig, target, "smsync sync (down)"));
  }

  for (const row of rows.filter((row) => !row.error)) {
    if (row.files !== expected.files || row.bytes !== expected.bytes) {
      throw new Error(
        `${name}: ${row.step} left ${row.files} file(s), ${row.bytes} bytes; expected ${expected.files}, ${expected.bytes}`,
      );
    }
  }
  rmSync(base, { recursive: true, force: true });
  return { name, spec, rows };
}
