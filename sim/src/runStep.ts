// Runs one step of a schedule on the run's devices and server, resolving its
// state-dependent choices (which held file) against the device's app model.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ClientUsageError, isErrorMode } from "@smsync/client";
import type { FaultCounts } from "./report.ts";
import { Rng } from "./rng.ts";
import type { Step } from "./schedule.ts";
import { sha256Hex, type SimDevice } from "./simDevice.ts";
import type { SimServer } from "./simServer.ts";
import type { Sabotage } from "./sabotage.ts";
import type { Trace } from "./trace.ts";

export interface RunContext {
  server: SimServer;
  devices: SimDevice[][];
  /** Which user created each fileUUID: no other user may ever see it. */
  ownerOf: Map<string, number>;
  userNames: string[];
  trace: Trace;
  faults: FaultCounts;
  operations: number;
  dir: string;
  /** The deliberate defect of the run, if any (sabotage.ts). */
  sabotage?: Sabotage;
}

const binary = { mimeType: "application/octet-stream" };

/** A user or device a step names that the run does not have: the schedule and the run's shape disagree. */
export class ScheduleMismatchError extends Error {
  override readonly name = "ScheduleMismatchError";
}

/** The devices of a user of the run. */
export function devicesOf(context: RunContext, user: number): SimDevice[] {
  const devices = context.devices[user];
  if (!devices) throw new ScheduleMismatchError(`the run has no user ${user}`);
  return devices;
}

/** The device a step runs on. */
export function deviceAt(context: RunContext, at: { user: number; device: number }): SimDevice {
  const device = devicesOf(context, at.user)[at.device];
  if (!device) throw new ScheduleMismatchError(`user ${at.user} has no device ${at.device}`);
  return device;
}

function userNameOf(context: RunContext, user: number): string {
  const name = context.userNames[user];
  if (name === undefined) throw new ScheduleMismatchError(`the run has no user ${user}`);
  return name;
}

/** The number of the device's last batch whose commit() completed (-1: none). */
const lastCommitted = (device: SimDevice) => device.record.committed.at(-1)?.batch ?? -1;

/** Leaves an error mode the way an app would: resetFromError, "server" (keep the queues) or now and then "all" (drop them). */
export async function resetIfInError(device: SimDevice, context: RunContext, rng: Rng): Promise<void> {
  await device.ready();
  if (!isErrorMode(device.client.mode)) return;
  const scope = rng.chance(0.8) ? "server" : "all";
  const lastBatch = lastCommitted(device);
  context.trace.note(`${device.name}: resetFromError("${scope}") from ${device.client.mode}`);
  context.faults.resetFromError++;
  await device.awaitSync();
  await device.call((client) => client.resetFromError(scope));
  device.record.resets.push({ scope, afterBatch: lastBatch });
  if (scope === "all") await queueAgain(device, context);
}

/**
 * After resetFromError("all") dropped the queues, the app queues again what
 * it holds that the client does not know (its files are still there), and the
 * deletions of files it no longer holds: as an app must, or its files and the
 * index part for good.
 */
async function queueAgain(device: SimDevice, context: RunContext): Promise<void> {
  const known = new Map((await device.store.list("files")).map(({ value }) => [value.fileUUID, value]));
  for (const [fileUUID, held] of device.files) {
    const file = known.get(fileUUID);
    if (file && !file.deleted && file.sha256 === held.sha256) continue;
    context.trace.note(`${device.name}: queues ${fileUUID.slice(0, 8)} again after the reset`);
    await usage(device, context, () =>
      device.call((client) =>
        client.uploadData(fileUUID, held.content, { cloudFileName: `${fileUUID}.bin`, ...binary }),
      ),
    );
  }
  for (const [fileUUID, file] of known) {
    if (file.deleted || device.files.has(fileUUID)) continue;
    context.trace.note(`${device.name}: queues the deletion of ${fileUUID.slice(0, 8)} again after the reset`);
    await usage(device, context, () => device.deleteFile(fileUUID));
  }
}

/**
 * How long an app's local change waits for the device's own pass. A server
 * restart (2 s, up to 7 s on a busy machine) and the client's backoff after
 * it hold a pass past 15 s; an app that then changes the file anyway may be
 * handed it back by the pass (seed 19 --cloud google-drive, while 15 s).
 */
const localChangeWaitMs = 40_000;

/**
 * The app does not change a file while its own sync pass may be delivering
 * it (see docs/testing.md): it waits for the pass. A device of the user left
 * in an error mode may hold the lock that pass waits for, so it is reset
 * first, as its app would.
 */
async function quietBeforeLocalChange(
  device: SimDevice,
  user: number,
  index: number,
  seed: number,
  context: RunContext,
): Promise<void> {
  for (const [i, other] of devicesOf(context, user).entries())
    await resetIfInError(other, context, new Rng(seed, 2000 + index * 10 + i));
  if (device.offline && !(await device.awaitSync(0))) {
    // Its pass waits for the network, and would wait out the whole spell: the spell ends now.
    context.trace.note(`${device.name}: back online early, so that its pass can end before the app's change`);
    setNetwork(device, true);
  }
  if (!(await device.awaitSync(localChangeWaitMs)))
    context.trace.note(
      `${device.name}: its pass still runs after ${localChangeWaitMs} ms; the app changes its file anyway`,
    );
}

/** Offline: the device's network refuses connections and its app tells the client (setOnline). */
function setNetwork(device: SimDevice, online: boolean): void {
  device.offline = !online;
  device.proxy.refuse(!online);
  device.client.setOnline(online);
}

function heldFile(device: SimDevice, pick: number): string | null {
  const held = [...device.files.keys()].sort();
  return held[Math.floor(pick * held.length)] ?? null; // pick is in [0, 1): none only when nothing is held
}

async function usage(device: SimDevice, context: RunContext, run: () => Promise<void>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    if (!(error instanceof ClientUsageError)) throw error;
    context.trace.note(`${device.name}: refused by the client: ${error.code}`);
    return false;
  }
}

export async function runStep(step: Step, index: number, seed: number, context: RunContext): Promise<void> {
  const rng = new Rng(seed, 1000 + index);
  if (step.kind === "cloudFault") {
    await context.server.armCloudFault(userNameOf(context, step.user), {
      call: step.call,
      kind: step.fault,
      after: step.after,
      times: step.times,
    });
    context.faults.cloud++;
    return;
  }
  if (step.kind === "serverCrash") {
    // Counted when the process dies (runSimulation watches it): a crash point may never be reached.
    if (step.point === "now") context.trace.note(`server pid ${await context.server.killNow()} killed`);
    else await context.server.armCrashPoint(step.point, step.skip);
    return;
  }
  if (step.kind === "driveFault") {
    await context.server.armDriveFault(userNameOf(context, step.user), {
      on: step.on,
      fault: step.fault,
      times: step.times,
    });
    context.faults.driveFault++;
    return;
  }
  const device = deviceAt(context, step.at);
  await resetIfInError(device, context, rng);
  context.operations++;
  switch (step.kind) {
    case "write": {
      await quietBeforeLocalChange(device, step.at.user, index, seed, context);
      const held = heldFile(device, step.pick);
      const fileUUID = step.fresh || !held ? new Rng(step.fileSeed, 7).uuid() : held;
      if (!context.ownerOf.has(fileUUID)) context.ownerOf.set(fileUUID, step.at.user);
      const content = new Rng(step.contentSeed, 3).bytes(step.size);
      const options = { cloudFileName: `${fileUUID}.bin`, ...binary };
      context.trace.note(
        `${device.name}: ${fileUUID.slice(0, 8)} := ${step.size} B sha ${sha256Hex(content).slice(0, 8)}`,
      );
      const done = await usage(device, context, async () => {
        if (step.inline) return device.call((client) => client.uploadData(fileUUID, content, options));
        const file = path.join(context.dir, `content-${index}-${fileUUID}`);
        writeFileSync(file, content);
        await device.call((client) => client.uploadFile(fileUUID, file, options));
      });
      if (done) {
        device.files.set(fileUUID, { sha256: sha256Hex(content), content });
        device.record.queued.push({
          fileUUID,
          kind: "upload",
          sha256: sha256Hex(content),
          afterBatch: lastCommitted(device),
        });
      }
      return;
    }
    case "writeMany": {
      await quietBeforeLocalChange(device, step.at.user, index, seed, context);
      const ids = new Rng(step.fileSeed, 7);
      const contents = new Rng(step.contentSeed, 3);
      const files = Array.from({ length: step.count }, () => {
        const fileUUID = ids.uuid();
        return { fileUUID, content: contents.bytes(contents.int(0, 2 * 1024)) };
      });
      const groupDir = path.join(context.dir, `content-${index}`);
      mkdirSync(groupDir, { recursive: true });
      for (const file of files) writeFileSync(path.join(groupDir, file.fileUUID), file.content);
      context.trace.note(`${device.name}: ${step.count} new files queued at once`);
      const done = await usage(device, context, async () => {
        await device.call((client) =>
          client.uploadFiles(
            files.map((file) => ({
              fileUUID: file.fileUUID,
              path: path.join(groupDir, file.fileUUID),
              options: { cloudFileName: `${file.fileUUID}.bin`, ...binary },
            })),
          ),
        );
      });
      if (done) {
        for (const file of files) {
          context.ownerOf.set(file.fileUUID, step.at.user);
          const sha256 = sha256Hex(file.content);
          device.files.set(file.fileUUID, { sha256, content: file.content });
          device.record.queued.push({
            fileUUID: file.fileUUID,
            kind: "upload",
            sha256,
            afterBatch: lastCommitted(device),
          });
        }
      }
      return;
    }
    case "delete": {
      await quietBeforeLocalChange(device, step.at.user, index, seed, context);
      const fileUUID = heldFile(device, step.pick);
      if (!fileUUID) return context.trace.note(`${device.name}: holds no file to delete`);
      context.trace.note(`${device.name}: delete ${fileUUID.slice(0, 8)}`);
      if (await usage(device, context, () => device.deleteFile(fileUUID))) {
        device.files.delete(fileUUID);
        device.record.queued.push({ fileUUID, kind: "delete", afterBatch: lastCommitted(device) });
      }
      return;
    }
    case "commit": {
      const batch = await device.call((client) => client.commit());
      if (batch) {
        device.record.committed.push(batch);
        context.trace.note(
          `${device.name}: batch ${batch.batch}: ${batch.changes.map((change) => `${change.kind} ${change.fileUUID.slice(0, 8)}`).join(", ")}`,
        );
      }
      return;
    }
    case "sync":
      device.startSync();
      return;
    case "suspendResume":
      context.faults.suspendResume++;
      await device.call((client) => client.suspend());
      await sleep(step.pauseMs);
      device.background(device.call((client) => client.resume()));
      return;
    case "cut":
      context.faults[step.direction === "down" && step.afterBytes === 0 ? "lostResponse" : "networkCut"]++;
      void device.proxy.cutAfter({ direction: step.direction, afterBytes: step.afterBytes });
      return;
    case "offline":
      context.faults.offline++;
      setNetwork(device, false);
      return;
    case "online":
      setNetwork(device, true);
      return;
    case "relaunch":
      context.faults.relaunch++;
      await device.relaunch();
      return;
    case "kill":
      // Counted when it strikes: the point may never be reached before settle. The app syncs, so that its engine gets going.
      device.armKill(step.point, step.skip, () => context.faults.clientKill++);
      device.startSync();
      return;
    case "pause":
      device.armPause({
        pauseMs: step.pauseMs,
        others: devicesOf(context, step.at.user).filter((other) => other !== device),
        frozen: () => context.faults.pausedHolder++,
        thawed: (takenOverBy) => {
          if (takenOverBy) context.faults.leaseTakenOver++;
        },
      });
      device.startSync();
      return;
  }
}
