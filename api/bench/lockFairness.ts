// Figure 5: fairness. One account must not slow another, and devices of one
// user contending for its lock must each get it in reasonable time:
//   (a) a user's commit cycle (lock -> batch -> commit -> SUCCEEDED) alone;
//   (b) the same while another account floods `lock`: one of its devices
//       holds the lock, another calls `lock` from F loops without pause,
//       ignoring every retry hint;
//   (c) D devices of one user cycling, each waiting for the lock as the
//       commit loop's devices do: the wait's p50/p99 and the commit rate.
// The server runs in its own process, as for figure 4, with its rate limits
// (but the per-address one: every device here shares 127.0.0.1).
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { addDevice, addUser } from "@smsync/api";
import { ProcessServer, sourceNodeOptions } from "@smsync/testkit";
import { onCleanup, progress, trackChild } from "@smsync/testkit/bench";
import { ControlPlaneBenchError, cycleUntil, deviceOf, type CycleOptions, type Device } from "./commitCycle.ts";
import { percentile } from "./percentile.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

export interface LockFairnessOptions extends CycleOptions {
  /** Length of each phase. */
  seconds: number;
  /** Concurrent loops of the flooding device. */
  floodLoops: number;
  /** Devices of the contended user in (c). */
  contenders: number;
}

export interface LatencyFigure {
  cycles: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LockFairnessResult {
  alone: LatencyFigure;
  flooded: LatencyFigure & { floodRequestsPerSecond: number };
  contended: {
    commitsPerSecond: number;
    /** Over every wait, those still running at the end included (at what they had waited then). */
    lockWaitP50Ms: number;
    lockWaitP99Ms: number;
    lockWaitMaxMs: number;
    lockCallsPerCommit: number;
    /** Devices that got the lock at least once, of options.contenders. */
    devicesServed: number;
  };
}

async function devicesOf(server: ProcessServer, userName: string, count: number): Promise<Device[]> {
  const devices = [await deviceOf(server.url, (await addUser(server.db(), userName)).token)];
  for (let index = 1; index < count; index++) {
    devices.push(await deviceOf(server.url, (await addDevice(server.db(), userName, `device${index}`)).token));
  }
  return devices;
}

function figure(cycles: number[]): LatencyFigure {
  return { cycles: cycles.length, p50Ms: percentile(cycles, 0.5), p99Ms: percentile(cycles, 0.99) };
}

/** `lock` from `loops` loops of another process, without pause, once it is running; stop() gives calls per second. */
async function startFlood(url: string, token: string, loops: number): Promise<{ stop(): Promise<number> }> {
  const child = trackChild(
    spawn(process.execPath, [...sourceNodeOptions, path.join(benchDir, "lockFlood.ts"), url, token, String(loops)], {
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  if ((await lines.next()).value !== "ready") throw new ControlPlaneBenchError("the flood process did not start");
  return {
    async stop() {
      child.kill("SIGTERM");
      const { calls, seconds } = JSON.parse(String((await lines.next()).value)) as { calls: number; seconds: number };
      return calls / seconds;
    },
  };
}

export async function measureLockFairness(options: LockFairnessOptions): Promise<LockFairnessResult> {
  const server = await ProcessServer.create();
  onCleanup("lock fairness server", () => server.close());
  // Every simulated device shares 127.0.0.1: the per-address limit would treat them as one client.
  await server.start({ SMSYNC_RATE_LIMIT_ADDRESS: "0" });
  const all: Device[] = [];
  try {
    const [victim] = await devicesOf(server, "victim", 1);
    const [holder, flooder] = await devicesOf(server, "flooder", 2);
    const contenders = await devicesOf(server, "crowd", options.contenders);
    all.push(victim!, holder!, flooder!, ...contenders);

    progress(`lock fairness: (a) one user's commits alone, ${options.seconds} s`);
    const alone = await cycleUntil([victim!], server.url, options, options.seconds);

    progress(`lock fairness: (b) the same while another account floods lock from ${options.floodLoops} loops`);
    await holder!.client.lock(600);
    const flood = await startFlood(server.url, flooder!.token, options.floodLoops);
    const flooded = await cycleUntil([victim!], server.url, options, options.seconds);
    const floodRequestsPerSecond = await flood.stop();

    progress(`lock fairness: (c) ${options.contenders} devices of one user, ${options.seconds} s`);
    const contended = await cycleUntil(contenders, server.url, options, options.seconds);
    const waits = [...contended.tally.lockWaits, ...contended.tally.unfinishedWaits];
    return {
      alone: figure(alone.tally.cycles),
      flooded: { ...figure(flooded.tally.cycles), floodRequestsPerSecond },
      contended: {
        commitsPerSecond: contended.tally.commits / contended.seconds,
        lockWaitP50Ms: percentile(waits, 0.5),
        lockWaitP99Ms: percentile(waits, 0.99),
        lockWaitMaxMs: Math.max(...waits),
        devicesServed: contended.tally.served.size,
        lockCallsPerCommit: contended.tally.lockAttempts / contended.tally.commits,
      },
    };
  } finally {
    for (const device of all) await device.ws.dispose();
    await server.stop();
  }
}
