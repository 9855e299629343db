// Progress on stderr, clean-up that runs however the bench ends, and small helpers.
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";

const started = performance.now();
let quiet = false;

export function setQuiet(value: boolean): void {
  quiet = value;
}

/** A progress line on stderr (stdout carries only the report). */
export function progress(message: string): void {
  if (quiet) return;
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

export function elapsedSeconds(): number {
  return (performance.now() - started) / 1000;
}

// Clean-up: async tasks run in reverse order at the end (or on a signal);
// temp dirs and child processes are also removed/killed synchronously on
// exit, in case the async path never ran.
const tasks: { name: string; run: () => Promise<void> | void }[] = [];
const dirs = new Set<string>();
const children = new Set<ChildProcess>();

export function onCleanup(name: string, run: () => Promise<void> | void): void {
  tasks.push({ name, run });
}

export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export async function runCleanup(): Promise<void> {
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    try {
      await task.run();
    } catch (error) {
      process.stderr.write(`[bench] clean-up "${task.name}" failed: ${String(error)}\n`);
    }
  }
  cleanupSync();
}

function cleanupSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let interruptedBy: string | null = null;

/** The signal that stopped the bench, if one did (errors after it are its consequence). */
export function interrupted(): string | null {
  return interruptedBy;
}

process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interruptedBy = signal;
    process.stderr.write(`[bench] ${signal}: cleaning up\n`);
    const hardStop = setTimeout(() => process.exit(130), 10_000);
    hardStop.unref();
    void runCleanup().finally(() => process.exit(130));
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number) => sorted[index] ?? NaN; // NaN: no values
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `report(fraction)` each time another tenth of `total` bytes has gone by. */
export function byTenths(total: number, report: (fraction: number) => void): (bytes: number) => void {
  let done = 0;
  let nextTenth = 1;
  return (bytes) => {
    done += bytes;
    while (nextTenth <= 9 && done >= (total * nextTenth) / 10) report(nextTenth++ / 10);
  };
}
