// `smsync watch DIR --json` as a process of its own, as a person or a
// service manager runs it: its events read from stdout as they come, and
// stopped the ways it can be (SIGTERM, SIGINT, SIGKILL).
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { nodeArgs } from "@smsync/testkit";
import { bin } from "./cliProcess.ts";

/** One line of `smsync watch --json`: an event name and its fields. */
export type WatchEvent = { event: string; path?: string; [field: string]: unknown };

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WatchProcess {
  readonly events: WatchEvent[] = [];
  stderr = "";
  readonly ended: Promise<ProcessEnd>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly waiters = new Set<() => void>();

  constructor(configFile: string, dir: string, args: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs(bin), "watch", dir, "--json", ...args], {
      env: { ...process.env, SMSYNC_CONFIG: configFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    this.child.stdout.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as WatchEvent);
      this.notify();
    });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.ended = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        this.notify();
        resolve({ code, signal });
      }),
    );
  }

  /** Resolves with the first event (from the start) that matches; fails with what was seen if the process ends or time runs out. */
  async waitFor(what: string, matches: (event: WatchEvent) => boolean, timeoutMs = 30_000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.ended.then(() => (exited = true));
    for (;;) {
      const found = this.events.find(matches);
      if (found) return found;
      if (exited || Date.now() > deadline) {
        throw new Error(
          `smsync watch: no ${what} ${exited ? "before it exited" : `within ${timeoutMs} ms`}\n` +
            `events: ${JSON.stringify(this.events.slice(-20))}\nstderr: ${this.stderr.slice(-2000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Once the first scan is done and live mode is on. */
  ready(): Promise<WatchEvent> {
    return this.waitFor("ready event", (event) => event.event === "ready", 60_000);
  }

  /** Sends the signal and waits for the process to end. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<ProcessEnd> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.ended;
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }
}
