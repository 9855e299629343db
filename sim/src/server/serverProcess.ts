// One server process of the simulator (serverMain.ts, forked with an IPC
// channel) and its successors: whenever it exits without being asked to
// (SIGKILL by a serverCrash step, or a crash point), another is started on
// the same environment (database, data directory, port), and the crash is
// reported to whoever watches. Requests over the channel wait while no
// process is up, and are sent again to the next process if the one they were
// sent to dies before answering (each request is idempotent).
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeArgs } from "@smsync/testkit";
import type { FromServer, ServerRequest, ServerResults, ToServer } from "./protocol.ts";

const simDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const entryPoint = path.join(simDir, "src/server/serverMain.ts");
const startTimeoutMs = 60_000;
const startAttempts = 3;
/** Attempts at one request across processes dying under it. */
const requestAttempts = 5;

export class ServerProcessError extends Error {
  override name = "ServerProcessError";
}

/** The process a request was sent to died before answering. */
export class ServerDownError extends ServerProcessError {
  override name = "ServerDownError";
}

/** What a crash looked like, for the trace. */
export interface ServerCrash {
  pid: number;
  signal: NodeJS.Signals | null;
  code: number | null;
  /** The crash point that killed it, if one did (it says so on stderr). */
  crashPoint?: string;
}

interface Running {
  child: ChildProcess;
  stderr: string;
  /** Requests sent to this process and not yet answered. */
  pending: Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>;
}

export class SimServerProcess {
  /** Every process's pid, in start order. */
  readonly pids: number[] = [];
  /** Called when a process died unasked (before its successor is started), and when the successor is up. */
  onCrash: ((crash: ServerCrash) => void) | null = null;
  onRestarted: ((pid: number, afterMs: number) => void) | null = null;
  private running: Running | null = null;
  private up: Promise<void>;
  private closing = false;
  private nextId = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.up = this.startWithRetries();
  }

  /** Resolves when a process listens (rejects if none could be started). */
  whenUp(): Promise<void> {
    return this.up;
  }

  async request<T extends ServerRequest>(request: T): Promise<ServerResults[T["type"]]> {
    for (let attempt = 1; ; attempt++) {
      await this.up;
      const running = this.running!;
      const id = this.nextId++;
      try {
        return (await new Promise<unknown>((resolve, reject) => {
          running.pending.set(id, { resolve, reject });
          // A channel that closed under the send: the exit follows, and rejects the request as sent to a dead process.
          running.child.send({ id, request } satisfies ToServer, () => undefined);
        })) as ServerResults[T["type"]];
      } catch (error) {
        if (!(error instanceof ServerDownError) || attempt >= requestAttempts || this.closing) throw error;
      } finally {
        running.pending.delete(id);
      }
    }
  }

  /** SIGKILL now; the exit starts the next process (whenUp waits for it). */
  async kill(): Promise<number> {
    await this.up;
    const { child } = this.running!;
    child.kill("SIGKILL");
    return child.pid!;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.up.catch(() => undefined); // a start that failed is whenUp's to report; closing only waits for it
    const child = this.running?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  private async startWithRetries(): Promise<void> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= startAttempts; attempt++) {
      try {
        return await this.startOne();
      } catch (error) {
        lastError = error as Error;
      }
    }
    throw new ServerProcessError(`no server process could be started: ${lastError?.message}`);
  }

  private startOne(): Promise<void> {
    // In a test run, the entry's bundle (@smsync/testkit's processBundles.ts).
    const args = nodeArgs(entryPoint);
    const script = args.at(-1) ?? entryPoint;
    const child = fork(script, [], {
      cwd: simDir,
      env: this.env,
      execArgv: args.slice(0, -1),
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const running: Running = { child, stderr: "", pending: new Map() };
    child
      .stderr!.setEncoding("utf8")
      .on("data", (chunk: string) => (running.stderr = (running.stderr + chunk).slice(-8_000)));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new ServerProcessError(`the server process did not listen within ${startTimeoutMs} ms:\n${running.stderr}`),
        );
      }, startTimeoutMs);
      child.on("message", (message: FromServer) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          this.running = running;
          this.pids.push(child.pid!);
          resolve();
          return;
        }
        const waiting = running.pending.get(message.id);
        if (!waiting) return;
        if (message.ok) waiting.resolve(message.result);
        else waiting.reject(new ServerProcessError(`the server process failed a request: ${message.error}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.running !== running) {
          reject(
            new ServerProcessError(
              `the server process exited (code ${code}, signal ${signal}) before listening:\n${running.stderr}`,
            ),
          );
          return;
        }
        const died = new ServerDownError(`the server process ${child.pid} exited (code ${code}, signal ${signal})`);
        for (const waiting of running.pending.values()) waiting.reject(died);
        if (this.closing) return;
        const crashPoint = /crash point (\S+) reached/.exec(running.stderr)?.[1];
        this.onCrash?.({ pid: child.pid!, code, signal, crashPoint });
        const diedAt = Date.now();
        this.up = this.startWithRetries();
        this.up.then(
          () => this.onRestarted?.(this.running!.child.pid!, Date.now() - diedAt),
          () => undefined, // a restart that failed is reported to whoever waits for the server (whenUp)
        );
      });
    });
  }
}
