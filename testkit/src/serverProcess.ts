// The real smsync server as a separate process (`node --import tsx
// api/src/main.ts`, or its bundle in a test run: processBundles.ts; one pid), for tests that kill it (SIGKILL, or a crash point
// of @smsync/api/faults) and start it again on the same data
// directory, database and port, so that clients keep their URL.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { addDevice, addUser, type Database, openDatabase } from "@smsync/api";
import { TestGraphQLClient } from "./graphqlClient.ts";
import { nodeArgs } from "./processBundles.ts";
import { createTestDatabase, type TestDatabase } from "./testDatabase.ts";
import { testEnvironment } from "./testServer.ts";

// The api workspace (its entry is src/index.ts), where `src/main.ts` starts the server.
const apiDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve("@smsync/api")), "..");
const listeningMessage = "smsync server listening";

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The lowest port the system hands out for listen(0) and outgoing connections. */
function ephemeralPortsStart(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago, for a server that must get the same
 * port back after a restart. It is chosen below the ephemeral range, so that
 * while the server is down no other server listening on port 0 and no
 * outgoing connection takes it.
 */
export async function freePort(): Promise<number> {
  const below = Math.min(ephemeralPortsStart(), 32768);
  for (let tries = 0; tries < 100; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    if (await canListen(port)) return port;
  }
  throw new Error("no free port found below the ephemeral range");
}

/** One run of the server process. */
export class ServerProcess {
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | null = null;
  private stdout = "";
  private stderr = "";

  private constructor(private readonly child: ChildProcess) {
    // "close", not "exit": the output is whole only once the process's pipes are closed.
    this.exited = new Promise((resolve) => {
      child.once("close", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return this.exit !== null;
  }

  /** Everything the process wrote, stdout then stderr (for assertions and failure messages). */
  output(): string {
    return `${this.stdout}${this.stderr ? `\n--- stderr ---\n${this.stderr}` : ""}`;
  }

  /** The pino log records written so far. */
  logRecords(): Record<string, unknown>[] {
    return this.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  /** `launcher`: a command the server runs under (e.g. strace and its options); the process is then the launcher's. */
  static async start(env: NodeJS.ProcessEnv, timeoutMs = 60_000, launcher: string[] = []): Promise<ServerProcess> {
    const command = [...launcher, process.execPath, ...nodeArgs(path.join(apiDir, "src/main.ts"))];
    const [executable, ...args] = command;
    const child = spawn(executable!, args, {
      cwd: apiDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = new ServerProcess(child);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (server.logRecords().some((record) => record.msg === listeningMessage)) return server;
      if (server.hasExited) {
        throw new Error(
          `the server process exited (${JSON.stringify(server.exit)}) before listening:\n${server.output()}`,
        );
      }
      if (Date.now() > deadline) {
        await server.kill("SIGKILL");
        throw new Error(`the server process did not listen within ${timeoutMs}ms:\n${server.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for the process to exit on its own (a crash point). */
  async waitForExit(timeoutMs = 60_000): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the server process ${this.pid} did not exit within ${timeoutMs}ms:\n${this.output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal (SIGKILL by default) and waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL", timeoutMs = 30_000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.waitForExit(timeoutMs);
  }
}

export interface TestUser {
  client: TestGraphQLClient;
  userName: string;
  userId: string;
  deviceId: string;
}

export interface ProcessServerOptions {
  /** Variables every start of the server gets (before the start's own), e.g. another cloud backend. */
  environment?: Record<string, string>;
  /** Runs for each new user (e.g. to give them a Google account). */
  onNewUser?: (db: Database, userId: string) => Promise<void>;
}

/**
 * A data directory, a database and a port that outlive server processes:
 * start, kill, restart (with other environment variables) against the same
 * state. Users are created through the admin functions on the database.
 */
export class ProcessServer {
  readonly url: string;
  readonly cloudDir: string;
  readonly stagingDir: string;
  current: ServerProcess | null = null;
  private database: Database | null = null;
  private userCounter = 0;

  private constructor(
    readonly dir: string,
    private readonly testDatabase: TestDatabase,
    readonly port: number,
    private readonly options: ProcessServerOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.cloudDir = path.join(dir, "cloud");
    this.stagingDir = path.join(dir, "staging");
  }

  static async create(options: ProcessServerOptions = {}): Promise<ProcessServer> {
    const dir = mkdtempSync(path.join(tmpdir(), "smsync-proc-"));
    const database = await createTestDatabase(dir);
    return new ProcessServer(dir, database, await freePort(), options);
  }

  get databaseUrl(): string {
    return this.testDatabase.url;
  }

  environment(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith("SMSYNC_") && key !== "DATABASE_URL" && key !== "INIT_CWD" && key !== "NODE_OPTIONS",
      ),
    );
    return {
      ...inherited,
      ...testEnvironment(this.dir, this.databaseUrl, {
        SMSYNC_PORT: String(this.port),
        SMSYNC_LOG_LEVEL: "info",
        ...this.options.environment,
        ...overrides,
      }),
    };
  }

  /** Starts a server process (none may be running) and waits until it listens. */
  async start(env: Record<string, string> = {}, launcher: string[] = []): Promise<ServerProcess> {
    if (this.current && !this.current.hasExited) throw new Error(`server process ${this.current.pid} is still running`);
    this.current = await ServerProcess.start(this.environment(env), 60_000, launcher);
    return this.current;
  }

  /** Stops the running process, if any, gracefully (SIGTERM: running transfers finish their step). */
  async stop(): Promise<ProcessExit | null> {
    return (await this.current?.kill("SIGTERM")) ?? null;
  }

  /** Kills the running process, if any, with SIGKILL, then starts a new one. */
  async restart(env: Record<string, string> = {}): Promise<ServerProcess> {
    await this.current?.kill("SIGKILL");
    return this.start(env);
  }

  /** The test's own connection to the server's database (after a server has migrated it). */
  db(): Database {
    this.database ??= openDatabase(this.databaseUrl);
    return this.database;
  }

  async newUser(name = `user${++this.userCounter}-${process.pid}`): Promise<TestUser> {
    const created = await addUser(this.db(), name);
    await this.options.onNewUser?.(this.db(), created.userId);
    return {
      client: new TestGraphQLClient(this.url, created.token),
      userName: name,
      userId: created.userId,
      deviceId: created.deviceId,
    };
  }

  async newDevice(userName: string, deviceName = `device${++this.userCounter}`): Promise<TestUser> {
    const created = await addDevice(this.db(), userName, deviceName);
    return {
      client: new TestGraphQLClient(this.url, created.token),
      userName,
      userId: created.userId,
      deviceId: created.deviceId,
    };
  }

  async close(): Promise<void> {
    await this.current?.kill("SIGKILL");
    await this.database?.$disconnect();
    await this.testDatabase.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
