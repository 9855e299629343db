// One run: fresh users and devices on the shared server, the schedule drawn
// from the run's seed, settle, the invariants. Never throws: whatever goes
// wrong (a step that throws, a device stuck, a broken invariant) is a
// violation of the run, reported with its trace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkInvariants, type InvariantNumber, type Violation } from "./invariants.ts";
import { noFaults, type FaultCounts } from "./report.ts";
import { Rng } from "./rng.ts";
import { runStep, type RunContext } from "./runStep.ts";
import { describeStep, drawSchedule, type ScheduleShape, type Step } from "./schedule.ts";
import { settle } from "./settle.ts";
import { SimDevice } from "./simDevice.ts";
import type { SimServer } from "./simServer.ts";
import { Trace } from "./trace.ts";

export interface RunShape extends ScheduleShape {
  sqliteStore: boolean;
}

export interface RunResult {
  seed: number;
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

/** Runs `steps` (by default the seed's whole schedule; shrinking passes a shorter one). */
export async function runSimulation(server: SimServer, seed: number, shape: RunShape, steps: Step[] = drawSchedule(seed, shape)): Promise<RunResult> {
  const trace = new Trace();
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-sim-"));
  const userNames: string[] = [];
  const context: RunContext = { server, devices: [], ownerOf: new Map(), userNames, trace, faults: noFaults(), operations: 0, dir };
  const violations: Violation[] = [];
  const checks: Record<InvariantNumber, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };
  const conflictRng = new Rng(seed, 2);
  try {
    for (let user = 0; user < shape.users; user++) {
      const first = await server.server.newUser(`sim-${seed}-u${user}-${process.pid}-${Date.now()}`);
      userNames.push(first.userName);
      const devices: SimDevice[] = [];
      for (let device = 0; device < shape.devices; device++) {
        const token = device === 0 ? first.token! : (await server.server.newDevice(first.userName)).token!;
        const simDevice = new SimDevice({ name: `u${user}.d${device}`, userIndex: user, token, serverPort: server.port, dir, sqliteStore: shape.sqliteStore, rng: conflictRng.fork(user * 100 + device), trace });
        await simDevice.start();
        devices.push(simDevice);
      }
      context.devices.push(devices);
    }
    for (const [index, step] of steps.entries()) {
      trace.step(index, describeStep(step));
      await runStep(step, index, seed, context);
    }
    trace.note("schedule done: faults off, settling");
    for (const problem of await settle(context, seed)) violations.push({ invariant: 5, message: problem });
    const checked = await checkInvariants(context, userNames);
    violations.push(...checked.violations);
    Object.assign(checks, checked.checks);
  } catch (error) {
    trace.note(`threw: ${(error as Error).stack ?? error}`);
    violations.push({ invariant: 5, message: `the run threw: ${(error as Error).message}` });
  } finally {
    for (const device of context.devices.flat()) await device.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const all = context.devices.flat();
  const sum = (count: (device: SimDevice) => number) => all.reduce((total, device) => total + count(device), 0);
  return {
    seed,
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
