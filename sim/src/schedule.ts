// A run's schedule: every step drawn from the run's seed before anything
// runs, so the same seed gives the same steps. A step names a device and
// what happens there; choices that depend on the device's state at that
// moment (which file to change) are drawn as numbers in [0, 1) and resolved
// against the state when the step runs.
import { crashPointNames, type CrashPoint } from "@smsync/api/faults";
import type { DriveFault, DriveRequestKind } from "@smsync/testkit/fakeGoogleDrive";
import { clientCrashPointNames, type ClientCrashPoint } from "@smsync/client/node";
import { Rng } from "./rng.ts";
import { simLockTtlSeconds } from "./simServer.ts";

export interface DeviceRef {
  user: number;
  device: number;
}

export type CloudFaultKind = "transient" | "permanent";

export type Step =
  /** The app writes a file: a new one (fresh) or one it holds (pick), of `size` bytes from `contentSeed`; `inline` queues it with uploadData. */
  | {
      kind: "write";
      at: DeviceRef;
      fresh: boolean;
      pick: number;
      size: number;
      contentSeed: number;
      inline: boolean;
      fileSeed: number;
    }
  /** The app queues `count` new small files at once (uploadFiles: one group, all or nothing); contents and ids from the seeds. */
  | { kind: "writeMany"; at: DeviceRef; count: number; contentSeed: number; fileSeed: number }
  | { kind: "delete"; at: DeviceRef; pick: number }
  | { kind: "commit"; at: DeviceRef }
  /** Starts a sync pass in the background (other devices go on meanwhile). */
  | { kind: "sync"; at: DeviceRef }
  /** The app goes to the background (in the middle of a transfer if one runs) and comes back after pauseMs. */
  | { kind: "suspendResume"; at: DeviceRef; pauseMs: number }
  // Faults:
  /** The device's next connection carrying bytes in `direction` is cut after afterBytes (down, 0: the server acted, its answer is lost). */
  | { kind: "cut"; at: DeviceRef; direction: "up" | "down"; afterBytes: number }
  | { kind: "offline"; at: DeviceRef }
  | { kind: "online"; at: DeviceRef }
  /** The app closes the client and opens a new one over the same store and work folder. */
  | { kind: "relaunch"; at: DeviceRef }
  /** The client dies as by SIGKILL the (skip+1)-th time its engine reaches the persistence point; the app relaunches at once. */
  | { kind: "kill"; at: DeviceRef; point: ClientCrashPoint; skip: number }
  /** The next time the device's engine is granted the lock, it and its network freeze for pauseMs (past the lease), as by SIGSTOP. */
  | { kind: "pause"; at: DeviceRef; pauseMs: number }
  /** The server's cloud fails the user's next `call`s. */
  | {
      kind: "cloudFault";
      user: number;
      call: "write" | "read" | "delete";
      fault: CloudFaultKind;
      after: boolean;
      times: number;
    }
  /** The run's server process dies (SIGKILL) now, or the (skip+1)-th time it reaches the crash point; it is started again on the same state. */
  | { kind: "serverCrash"; point: CrashPoint | "now"; skip: number }
  /** The fake Google Drive answers the user's next `times` requests of a kind with a fault (google-drive cloud only). */
  | { kind: "driveFault"; user: number; on: DriveRequestKind | "any"; fault: DriveFault; times: number };

export interface ScheduleShape {
  users: number;
  devices: number;
  steps: number;
  faults: boolean;
  /** The server's cloud (drive faults need google-drive); local by default. */
  cloud?: "local" | "google-drive";
}

const kiB = 1024;
/** Larger than two of the Drive backend's 256 KiB upload chunks: a multi-chunk cloud write. */
const multiChunk = 2 * 256 * kiB;

function drawSize(rng: Rng): number {
  const sizeClass = rng.weighted({ empty: 1, small: 12, multiChunk: 2 });
  if (sizeClass === "empty") return 0;
  if (sizeClass === "small") return rng.int(1, 8 * kiB);
  return multiChunk + rng.int(1, 100 * kiB);
}

// writeMany: in about one run of ten at 12 steps; its 2 to 2,048 files go by the batch paths.
const workWeights = { write: 30, writeMany: 1, delete: 10, commit: 16, sync: 18, suspendResume: 4 };

/** 2 to 2,048 files, evenly over the powers of two: mostly tens, now and then thousands. */
function drawFileCount(rng: Rng): number {
  return Math.floor(2 ** (1 + rng.float() * 10));
}
// A server restart costs about 2 s: in about one run of five at 20 steps.
// A pause costs its 3.5-5 s: rare.
const faultWeights = {
  cut: 8,
  offline: 3,
  relaunch: 3,
  cloudFault: 3,
  serverCrash: 1,
  driveFault: 3,
  kill: 3,
  pause: 1,
};

/** A Drive fault and the requests it fits: dropped connections mid-chunk and expired sessions strike uploads. */
function drawDriveFault(rng: Rng): { on: DriveRequestKind | "any"; fault: DriveFault } {
  // "any": the user's next request, whatever it is (most likely to strike before the schedule ends).
  const anyRequest = () =>
    rng.chance(0.5)
      ? "any"
      : rng.pick(["listFiles", "getFile", "downloadMedia", "deleteFile", "startUpload", "uploadChunk"] as const);
  switch (
    rng.weighted({
      unauthorized: 2,
      tooManyRequests: 2,
      rateLimit: 2,
      serverError: 3,
      dropConnection: 3,
      expireSession: 2,
    })
  ) {
    case "unauthorized":
      return { on: anyRequest(), fault: { type: "unauthorized" } };
    case "tooManyRequests":
      return { on: anyRequest(), fault: { type: "tooManyRequests", retryAfterSeconds: rng.pick([0, 1]) } };
    case "rateLimit":
      return {
        on: anyRequest(),
        fault: { type: "rateLimit", reason: rng.pick(["rateLimitExceeded", "userRateLimitExceeded"] as const) },
      };
    case "serverError":
      return { on: anyRequest(), fault: { type: "serverError", status: rng.pick([500, 503] as const) } };
    case "dropConnection":
      return rng.chance(0.7)
        ? { on: "uploadChunk", fault: { type: "dropConnection", afterBytes: rng.pick([0, 1000, 100_000]) } }
        : { on: "downloadMedia", fault: { type: "dropConnection", afterBytes: 0 } };
    case "expireSession":
      return { on: "uploadChunk", fault: { type: "expireSession" } };
  }
}

export function drawSchedule(seed: number, shape: ScheduleShape): Step[] {
  const rng = new Rng(seed, 1);
  const steps: Step[] = [];
  /** Devices offline, with the step at which they come back. */
  const offlineUntil = new Map<string, { at: { user: number; device: number }; back: number }>();
  for (let index = 0; steps.length < shape.steps; index++) {
    const at = { user: rng.int(0, shape.users - 1), device: rng.int(0, shape.devices - 1) };
    const key = `${at.user}.${at.device}`;
    const back = offlineUntil.get(key)?.back;
    if (back !== undefined && steps.length >= back) {
      steps.push({ kind: "online", at });
      offlineUntil.delete(key);
      continue;
    }
    const weights: Record<keyof typeof workWeights | keyof typeof faultWeights, number> = shape.faults
      ? { ...workWeights, ...faultWeights }
      : {
          ...workWeights,
          cut: 0,
          offline: 0,
          relaunch: 0,
          cloudFault: 0,
          serverCrash: 0,
          driveFault: 0,
          kill: 0,
          pause: 0,
        };
    if (shape.cloud !== "google-drive") weights.driveFault = 0;
    const kind = rng.weighted(weights);
    switch (kind) {
      case "write":
        steps.push({
          kind,
          at,
          fresh: rng.chance(0.3),
          pick: rng.float(),
          size: drawSize(rng),
          contentSeed: rng.next32(),
          inline: rng.chance(0.2),
          fileSeed: rng.next32(),
        });
        break;
      case "writeMany":
        steps.push({ kind, at, count: drawFileCount(rng), contentSeed: rng.next32(), fileSeed: rng.next32() });
        break;
      case "delete":
        steps.push({ kind, at, pick: rng.float() });
        break;
      case "commit":
      case "sync":
      case "relaunch":
        steps.push({ kind, at });
        break;
      case "suspendResume":
        steps.push({ kind, at, pauseMs: rng.int(0, 50) });
        break;
      case "cut": {
        const direction = rng.pick(["up", "down"] as const);
        const afterBytes = direction === "down" && rng.chance(0.5) ? 0 : rng.pick([0, 12, 300, 5_000, 100_000]);
        steps.push({ kind, at, direction, afterBytes });
        break;
      }
      case "offline":
        if (back !== undefined) continue;
        steps.push({ kind, at });
        offlineUntil.set(key, { at, back: steps.length + rng.int(1, 4) });
        break;
      case "cloudFault":
        {
          // A permanent fault fails the transfer at once; one that outlasts the engine's resumes (3 or more) leaves the
          // device in nonRecoverableError, and its app calls resetFromError.
          const fault = rng.weighted({ transient: 3, permanent: 1 });
          steps.push({
            kind,
            user: at.user,
            call: rng.pick(["write", "read", "delete"] as const),
            fault,
            after: rng.chance(0.3),
            times: rng.int(1, fault === "permanent" ? 4 : 3),
          });
        }
        break;
      case "serverCrash":
        steps.push({ kind, point: rng.chance(0.4) ? "now" : rng.pick(crashPointNames), skip: rng.int(0, 2) });
        break;
      case "driveFault": {
        // A second 401 in a row is a refresh token refused: the user must sign in again, a permanent failure the sim's apps do not handle.
        const { on, fault } = drawDriveFault(rng);
        steps.push({ kind, user: at.user, on, fault, times: fault.type === "unauthorized" ? 1 : rng.int(1, 3) });
        break;
      }
      case "kill":
        steps.push({ kind, at, point: rng.pick(clientCrashPointNames), skip: rng.chance(0.6) ? 0 : rng.int(1, 2) });
        break;
      case "pause":
        // Past the server's lease, so that another device may take the lock over meanwhile.
        steps.push({ kind, at, pauseMs: rng.int(simLockTtlSeconds * 1000 + 500, simLockTtlSeconds * 1000 + 2000) });
        break;
    }
  }
  for (const { at } of offlineUntil.values()) steps.push({ kind: "online", at: { ...at } });
  return steps;
}

export function describeStep(step: Step): string {
  const where = "at" in step ? `u${step.at.user}.d${step.at.device} ` : "";
  switch (step.kind) {
    case "write":
      return `${where}write ${step.fresh ? "new file" : `held file #${step.pick.toFixed(2)}`} ${step.size} B${step.inline ? " (uploadData)" : ""}`;
    case "writeMany":
      return `${where}write ${step.count} new files at once (uploadFiles)`;
    case "delete":
      return `${where}delete held file #${step.pick.toFixed(2)}`;
    case "suspendResume":
      return `${where}suspend, resume after ${step.pauseMs} ms`;
    case "cut":
      return `${where}FAULT cut ${step.direction} after ${step.afterBytes} B${step.direction === "down" && step.afterBytes === 0 ? " (answer lost after the server acted)" : ""}`;
    case "offline":
      return `${where}FAULT offline (connections refused, setOnline(false))`;
    case "online":
      return `${where}online again`;
    case "relaunch":
      return `${where}FAULT relaunch (close, reopen over the same store)`;
    case "cloudFault":
      return `u${step.user} FAULT cloud ${step.call} fails ${step.fault} x${step.times}${step.after ? " after taking effect" : ""}`;
    case "kill":
      return `${where}FAULT client killed at ${step.point}${step.skip ? ` (after ${step.skip} passes)` : ""}, relaunched; sync`;
    case "pause":
      return `${where}FAULT lock holder frozen ${step.pauseMs} ms (past its lease) at its next grant; sync`;
    case "serverCrash":
      return step.point === "now"
        ? "FAULT server killed now (SIGKILL), restarted"
        : `FAULT server killed at crash point ${step.point} (after ${step.skip} passes), restarted`;
    case "driveFault":
      return `u${step.user} FAULT Drive answers ${step.on === "any" ? "any request" : step.on} with ${JSON.stringify(step.fault)} x${step.times}`;
    default:
      return `${where}${step.kind}`;
  }
}
