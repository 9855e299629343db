// The server of one slot of runs (simulate.ts runs `parallel` runs at once,
// each slot on its own server, so that a server crash strikes only its own
// run): a real smsync server in a child process (server/serverMain.ts:
// SQLite, or PostgreSQL when SMSYNC_TEST_DATABASE is "postgresql"), its cloud
// the local directory or the Google Drive backend over the simulator's fake
// Drive, behind a FaultyCloudStorage per user. The process can be killed
// (SIGKILL, or a crash point armed at runtime) and is then started again on
// the same database, data directory and port. The simulator reads the
// database through its own connection, and the cloud behind the faults
// through the process; each run makes fresh users.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { addDevice, addUser, type CloudObject, type Database, openDatabase } from "@smsync/api";
import type { CrashPoint } from "@smsync/api/faults";
import {
  createTestDatabase,
  type FaultSpec as CloudFaultSpec,
  freePort,
  type TestDatabase,
  testEnvironment,
} from "@smsync/testkit";
import type { FakeGoogleDrive, FaultSpec as DriveFaultSpec } from "@smsync/testkit/fakeGoogleDrive";
import { simEnvironment } from "./server/protocol.ts";
import { SimServerProcess, type ServerCrash } from "./server/serverProcess.ts";

/** The server's lock lease: short, so that a device paused past it loses the lock within a run (and renews every 1.5 s meanwhile). */
export const simLockTtlSeconds = 3;

export type SimCloud = "local" | "google-drive";

/** What a run is told about its server's crashes (the server is reused by the slot's next run). */
export interface CrashWatcher {
  crashed(crash: ServerCrash): void;
  restarted(pid: number, afterMs: number): void;
}

export class SimServer {
  readonly url: string;
  /** The runs of a slot, one after another: the one running hears of the crashes. */
  private watcher: CrashWatcher | null = null;
  private database: Database | null = null;
  private readonly userIds = new Map<string, string>();
  private deviceCounter = 0;

  private constructor(
    readonly port: number,
    readonly cloud: SimCloud,
    readonly serverProcess: SimServerProcess,
    private readonly dir: string,
    private readonly testDatabase: TestDatabase,
    private readonly drive: FakeGoogleDrive | undefined,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    serverProcess.onCrash = (crash) => this.watcher?.crashed(crash);
    serverProcess.onRestarted = (pid, afterMs) => this.watcher?.restarted(pid, afterMs);
  }

  /** `drive`: the fake Drive of a google-drive cloud (in this process, so that its files outlive the server's). */
  static async start(cloud: SimCloud, drive?: FakeGoogleDrive): Promise<SimServer> {
    if (cloud === "google-drive" && !drive) throw new Error("a google-drive SimServer needs the fake Drive");
    const dir = mkdtempSync(path.join(tmpdir(), "smsync-sim-server-"));
    const testDatabase = await createTestDatabase(dir);
    const port = await freePort();
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !key.startsWith("SMSYNC_") && key !== "DATABASE_URL" && key !== "NODE_OPTIONS",
      ),
    );
    const env = {
      ...inherited,
      ...testEnvironment(dir, testDatabase.url, {
        SMSYNC_PORT: String(port),
        // A worker that polls often and short lock leases: runs spend their time syncing, not waiting.
        SMSYNC_TRANSFER_POLL_MS: "250",
        SMSYNC_LOCK_TTL_SECONDS: String(simLockTtlSeconds),
        // A restarted server takes over the dead one's transfer claims soon.
        SMSYNC_TRANSFER_CLAIM_SECONDS: "2",
      }),
      [simEnvironment.cloud]: cloud,
      ...(drive ? { [simEnvironment.driveRootUrl]: drive.rootUrl } : {}),
    };
    const server = new SimServer(port, cloud, new SimServerProcess(env), dir, testDatabase, drive);
    try {
      await server.serverProcess.whenUp();
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  /** The simulator's own connection to the server's database (opened once the first process has migrated it). */
  get db(): Database {
    this.database ??= openDatabase(this.testDatabase.url);
    return this.database;
  }

  async newUser(userName: string): Promise<{ userName: string; userId: string; token: string }> {
    const created = await addUser(this.db, userName);
    this.userIds.set(userName, created.userId);
    return { userName, userId: created.userId, token: created.token };
  }

  async newDevice(userName: string): Promise<{ token: string }> {
    return { token: (await addDevice(this.db, userName, `device${++this.deviceCounter}`)).token };
  }

  async userId(userName: string): Promise<string> {
    const known = this.userIds.get(userName);
    if (known) return known;
    const { id } = await this.db.user.findUniqueOrThrow({ where: { name: userName } });
    this.userIds.set(userName, id);
    return id;
  }

  /** The user's objects, listed behind the faults (the checks must not meet them). */
  async listCloud(userName: string): Promise<CloudObject[]> {
    return this.serverProcess.request({ type: "listCloud", userId: await this.userId(userName) });
  }

  async readCloud(userName: string, objectId: string): Promise<Buffer> {
    return Buffer.from(
      await this.serverProcess.request({ type: "readCloud", userId: await this.userId(userName), objectId }),
      "base64",
    );
  }

  /** The server's cloud fails the user's next calls (lost if the process dies before they strike). */
  async armCloudFault(userName: string, spec: CloudFaultSpec): Promise<void> {
    await this.serverProcess.request({ type: "armCloudFault", userId: await this.userId(userName), spec });
  }

  /** The fake Drive fails the user's next requests (the Drive outlives server processes, and so do its faults). */
  async armDriveFault(userName: string, spec: Omit<DriveFaultSpec, "account">): Promise<void> {
    if (!this.drive) throw new Error("drive faults need the google-drive cloud");
    this.drive.injectFault({ ...spec, account: await this.userId(userName) });
  }

  /** The process kills itself the (skip+1)-th time it reaches the point (a process started later has none armed). */
  async armCrashPoint(point: CrashPoint, skip: number): Promise<void> {
    await this.serverProcess.request({ type: "armCrashPoint", point, skip });
  }

  /** SIGKILL the process now; the next one starts on its own. Returns the pid killed. */
  killNow(): Promise<number> {
    return this.serverProcess.kill();
  }

  /** A run starts on the slot's server: it hears of the crashes from now on, and no crash point is left armed by the run before. */
  async beginRun(watcher: CrashWatcher): Promise<void> {
    this.watcher = watcher;
    await this.serverProcess.request({ type: "disarmCrashPoints" });
  }

  endRun(): void {
    this.watcher = null;
  }

  /** The users' cloud faults (which may be permanent) stop: settle begins. */
  async healCloud(userNames: string[]): Promise<void> {
    await this.serverProcess.request({
      type: "healCloud",
      userIds: await Promise.all(userNames.map((userName) => this.userId(userName))),
    });
  }

  /**
   * The faults that go on into settle stop: crash points (one crash at most),
   * the cloud faults and the Drive's faults (a few answers each). They go on because
   * most transfers happen in settle: a schedule's steps take well under a
   * second, so faults disarmed when settle begins would seldom strike.
   */
  async endFaults(userNames: string[]): Promise<void> {
    await this.healCloud(userNames);
    await this.serverProcess.request({ type: "disarmCrashPoints" });
    for (const userName of userNames) this.drive?.faults.clear(await this.userId(userName));
  }

  async close(): Promise<void> {
    await this.serverProcess.close();
    await this.database?.$disconnect();
    await this.testDatabase.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
