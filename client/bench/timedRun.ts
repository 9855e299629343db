// Runs a command as a child process and measures it: wall time from spawn to
// exit, and the child's peak resident memory as the kernel counted it (GNU
// time's %M, the maxrss of wait4), so nothing is missed between samples, with
// the CPU time it used (%U + %S; on a shared machine a steadier figure than
// the wall time of a short run, which waits for the cores).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const gnuTime = "/usr/bin/time";

export interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak RSS of the child; null without /usr/bin/time. */
  maxRssBytes: number | null;
  /** User and system CPU time of the child; null without /usr/bin/time. */
  cpuSeconds: number | null;
}

export const canMeasureMemory = existsSync(gnuTime);

export function timedRun(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<TimedRun> {
  const report = path.join(tmpdir(), `smsync-bench-time-${process.pid}-${Date.now()}`);
  const [file, argv] = canMeasureMemory
    ? [gnuTime, ["-f", "%M %U %S", "-o", report, command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-8000)));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      let maxRssBytes: number | null = null;
      let cpuSeconds: number | null = null;
      if (canMeasureMemory) {
        // The last line: GNU time writes "Command exited with non-zero status N" above it on failure.
        const [kib, user, system] = (readFileSync(report, "utf8").trim().split("\n").at(-1) ?? "")
          .split(" ")
          .map(Number);
        maxRssBytes = Number.isFinite(kib) ? kib! * 1024 : null;
        cpuSeconds = Number.isFinite(user) && Number.isFinite(system) ? user! + system! : null;
        rmSync(report, { force: true });
      }
      resolve({ code, stdout, stderr, seconds, maxRssBytes, cpuSeconds });
    });
  });
}
