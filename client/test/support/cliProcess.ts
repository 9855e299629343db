// Runs the smsync command line client as a person would: its bin, in its
// own process, with its login kept in the given config file; or on a
// terminal, under script(1), which gives it a pseudo-terminal and records
// what it drew.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import path from "node:path";
import type { Readable } from "node:stream";
import type { SyncSummary } from "../../src/cli/syncFolder.ts";
import { nodeArgs } from "@smsync/testkit";

// The bin, from the CLI's TypeScript source: in a test run its bundle, otherwise through tsx (@smsync/testkit's
// processBundles.ts). cli/bin.test.ts runs the bin as a person does, on the CLI built into dist/.
export const bin = path.resolve(import.meta.dirname, "../../bin/smsync.js");
export const scriptCommand = "/usr/bin/script";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What `smsync <command> --json` prints: ok, and the command's fields (a sync's summary; a failure's error and reason). */
export type CliJson = { ok: boolean; error?: string; reason?: string } & Partial<SyncSummary> & Record<string, unknown>;

export function cliJson(run: CliRun): CliJson {
  return JSON.parse(run.stdout) as CliJson;
}

function collect(child: ChildProcessByStdio<null, Readable, Readable>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `node <binFile> ...args` and nothing more, as a person runs it: the CLI built into dist/ (`npm run build`). */
export function runBuiltBin(
  configFile: string,
  args: string[],
  binFile = bin,
  environment: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  // The code cache in the test's own folder, not the user's ~/.cache.
  const cacheDir = path.join(path.dirname(configFile), "cache");
  const env = { ...process.env, SMSYNC_CONFIG: configFile, SMSYNC_CACHE_DIR: cacheDir, ...environment };
  return collect(spawn(process.execPath, [binFile, ...args], { env, stdio: ["ignore", "pipe", "pipe"] }));
}

/** `launcher`: a command the CLI runs under (e.g. strace and its options). */
export function runCli(configFile: string, args: string[], launcher: string[] = []): Promise<CliRun> {
  const env = { ...process.env, SMSYNC_CONFIG: configFile };
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  const options = { env, stdio };
  const [program, ...launcherArgs] = launcher;
  const node = [...nodeArgs(bin), ...args];
  return collect(
    program === undefined
      ? spawn(process.execPath, node, options)
      : spawn(program, [...launcherArgs, process.execPath, ...node], options),
  );
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** The CLI with a terminal as stdout and stderr: both arrive in `stdout`, control sequences included. */
export function runCliOnTerminal(configFile: string, args: string[]): Promise<CliRun> {
  const command = [process.execPath, ...nodeArgs(bin), ...args].map(shellQuote).join(" ");
  const env = { ...process.env, SMSYNC_CONFIG: configFile, TERM: "xterm" };
  return collect(
    spawn(scriptCommand, ["-q", "-e", "-c", command, "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] }),
  );
}
