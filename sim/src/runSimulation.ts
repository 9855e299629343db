// One run: fresh users and devices on the shared server, the schedule drawn
// from the run's seed, settle, the invariants. Never throws: whatever goes
// wrong (a step that throws, a device stuck, a broken invariant) is a
// violation of the run, reported with its trace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkInvariants, type InvariantNumber, type Violation } from "./invariants.ts";
import type { CommittedBatch } from "@smsync/client";
import { noFaults, type FaultCounts } from "./report.ts";
import { Rng } from "./rng.ts";
import { deviceAt, runStep, type RunContext } from "./runStep.ts";
import { describeStep, drawSchedule, type ScheduleShape, type Step } from "./schedule.ts";
import { settle, syncUntilIdle } from "./settle.ts";
import { sha256Hex, SimDevice } from "./simDevice.ts";
import type { SimServer } from "./simServer.ts";
import type { Sabotage } from "./sabotage.ts";
import { Trace } from "./trace.ts";

export interface RunShape extends ScheduleShape {
  sqliteStore: boolean;
  /** A deliberate defect that breaks one invariant (sabotage.ts): runs must then fail (proves its check can). */
  sabotage?: Sabotage;
}

export interface RunResult {
  seed: number;
  shape: RunShape;
  steps: Step[];
  violations: Violation[];
  checks: Record<InvariantNumber, number>;
  faults: FaultCounts;
  operations: number;
  devices: number;
  uploadsConfirmed: number;
  downloadsSaved: number;
  deletionsApplied: number;
  conflicts: number;
  trace: Trace;
}

/** A run that takes longer is stuck: reported, not waited for. */
const runTimeoutMs = 180_000;

/** Runs `steps` (by default the seed's whole schedule; shrinking passes a shorter one). */
export async function runSimulation(
  server: SimServer,
  seed: number,
  shape: RunShape,
  steps: Step[] = drawSchedule(seed, shape),
): Promise<RunResult> {
  const trace = new Trace();
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-sim-"));
  const userNames: string[] = [];
  const context: RunContext = {
    server,
    devices: [],
    ownerOf: new Map(),
    userNames,
    trace,
    faults: noFaults(),
    operations: 0,
    dir,
    sabotage: shape.sabotage,
  };
  const violations: Violation[] = [];
  const checks: Record<InvariantNumber, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };
  const conflictRng = new Rng(seed, 2);
  try {
    // The slot's server is this run's alone while it runs: its crashes are this run's.
    await server.beginRun({
      crashed: (crash) => {
        context.faults.serverCrash++;
        trace.note(
          `server pid ${crash.pid} died (${crash.signal ?? `exit ${crash.code}`}${crash.crashPoint ? ` at crash point ${crash.crashPoint}` : ""}); restarting it`,
        );
      },
      restarted: (pid, afterMs) => trace.note(`server pid ${pid} up after ${afterMs} ms`),
    });
    for (let user = 0; user < shape.users; user++) {
      const first = await server.newUser(`sim-${seed}-u${user}-${process.pid}-${Date.now()}`);
      userNames.push(first.userName);
      const devices: SimDevice[] = [];
      for (let device = 0; device < shape.devices; device++) {
        const token = device === 0 ? first.token : (await server.newDevice(first.userName)).token;
        const simDevice = new SimDevice({
          name: `u${user}.d${device}`,
          userIndex: user,
          token,
          serverPort: server.port,
          dir,
          sqliteStore: shape.sqliteStore,
          rng: conflictRng.fork(user * 100 + device),
          trace,
          sabotage: user === 0 ? shape.sabotage : undefined,
        });
        await simDevice.start();
        devices.push(simDevice);
      }
      context.devices.push(devices);
    }
    await seedFiles(context, seed);
    const run = async () => {
      for (const [index, step] of steps.entries()) {
        trace.step(index, describeStep(step));
        await runStep(step, index, seed, context);
      }
      trace.note("schedule done: faults off, settling");
      for (const problem of await settle(context, seed)) violations.push({ invariant: 5, message: problem });
      if (context.sabotage === 5) await queueWithoutCommit(deviceAt(context, { user: 0, device: 1 }));
      const checked = await checkInvariants(context, userNames);
      violations.push(...checked.violations);
      Object.assign(checks, checked.checks);
    };
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), runTimeoutMs)));
    const outcome = await Promise.race([run(), stuck]);
    if (violations.length > 0) traceConfirmations(context);
    if (outcome === "stuck")
      violations.push({
        invariant: 5,
        message: `the run did not end within ${runTimeoutMs / 1000} s (stuck; see the trace's last lines)`,
      });
    clearTimeout(timer);
  } catch (error) {
    trace.note(`threw: ${(error as Error).stack ?? String(error)}`);
    violations.push({ invariant: 5, message: `the run threw: ${(error as Error).message}` });
  } finally {
    server.endRun();
    for (const device of context.devices.flat()) {
      // The run's outcome is decided; a device that does not close cleanly is told in the trace.
      await device.close().catch((error: unknown) => trace.note(`${device.name}: close failed: ${String(error)}`));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const all = context.devices.flat();
  const sum = (count: (device: SimDevice) => number) => all.reduce((total, device) => total + count(device), 0);
  return {
    seed,
    shape,
    steps,
    violations,
    checks,
    faults: context.faults,
    operations: context.operations,
    devices: all.length,
    uploadsConfirmed: sum((device) => device.record.singleUploadComplete.length),
    downloadsSaved: sum((device) => device.record.saved.length),
    deletionsApplied: sum((device) => device.record.deleted.length),
    conflicts: sum((device) => device.record.conflicts.length),
    trace,
  };
}

/**
 * Before the schedule, each user's first device makes 1-3 files that every
 * device of the user then holds: so the schedule's first steps can already
 * change, delete and conflict over shared files.
 */
async function seedFiles(context: RunContext, seed: number): Promise<void> {
  for (const [user, devices] of context.devices.entries()) {
    const rng = new Rng(seed, 500 + user);
    const first = deviceAt(context, { user, device: 0 });
    for (let i = rng.int(1, 3); i > 0; i--) {
      const fileUUID = rng.uuid();
      const content = rng.bytes(rng.int(0, 2048));
      // Sabotage 6: the simulator's bookkeeping takes user 1's first file for one of user 0's.
      context.ownerOf.set(fileUUID, context.sabotage === 6 && user === 1 && !first.files.size ? 0 : user);
      await first.client.uploadData(fileUUID, content, {
        cloudFileName: `${fileUUID}.bin`,
        mimeType: "application/octet-stream",
      });
      first.files.set(fileUUID, { sha256: sha256Hex(content), content });
    }
    const batch = await first.client.commit();
    // Sabotage 1: u0.d0's app records the first change it commits with a sha256 other than that of its bytes.
    if (batch) first.record.committed.push(context.sabotage === 1 && user === 0 ? misrecorded(batch) : batch);
    for (const device of devices) {
      const ended = await syncUntilIdle(device.client);
      if (ended) throw new Error(`seeding files: ${device.name} ended in ${ended}`);
    }
  }
  context.trace.note(
    `seeded: ${[...context.ownerOf.keys()].map((uuid) => uuid.slice(0, 8)).join(", ")} on every device of their user`,
  );
}

/** The batch as an app that misrecords its first change's sha256 would remember it (sabotage 1). */
function misrecorded(batch: CommittedBatch): CommittedBatch {
  const [first, ...rest] = batch.changes;
  if (!first) return batch;
  return {
    ...batch,
    changes: [
      { ...first, ...(first.kind === "upload" ? { sha256: sha256Hex(Buffer.from(first.sha256)) } : {}) },
      ...rest,
    ],
  };
}

/** Sabotage 5: after settling, the app queues its first held file again and never commits it (it stays in uploadsBeingPrepared). */
async function queueWithoutCommit(device: SimDevice): Promise<void> {
  const [held] = device.files;
  if (!held) throw new Error(`${device.name} holds no file to queue again (sabotage 5)`);
  const [fileUUID, file] = held;
  await device.client.uploadData(fileUUID, file.content, {
    cloudFileName: `${fileUUID}.bin`,
    mimeType: "application/octet-stream",
  });
  device.config.trace.note(
    `${device.name}: the app queues ${fileUUID.slice(0, 8)} again and never commits it (sabotage 5)`,
  );
}

/** For a failing run's trace: what each device's engine confirmed and its app resolved. */
function traceConfirmations(context: RunContext): void {
  for (const device of context.devices.flat()) {
    const { record } = device;
    const uploads = record.singleUploadComplete.map(
      (event) => `${event.kind} ${event.fileUUID.slice(0, 8)} v${event.version} (batch ${event.batch})`,
    );
    const conflicts = record.conflicts.map(
      ({ conflict, resolution }) => `${conflict.fileUUID.slice(0, 8)} ${resolution}`,
    );
    context.trace.note(
      `${device.name} confirmed: ${uploads.join(", ") || "nothing"}; conflicts: ${conflicts.join(", ") || "none"}; saved: ${record.saved.map((saved) => `${saved.fileUUID.slice(0, 8)} v${saved.version}`).join(", ") || "nothing"}`,
    );
  }
}
