// The messages between the simulator and a server process it forked
// (serverMain.ts), over the IPC channel: requests with ids, one answer each.
import type { CloudObject } from "@smsync/api";
import type { CrashPoint } from "@smsync/api/faults";
import type { FaultSpec as CloudFaultSpec } from "@smsync/testkit";

export type ServerRequest =
  | { type: "armCloudFault"; userId: string; spec: CloudFaultSpec }
  | { type: "healCloud"; userIds: string[] }
  | { type: "armCrashPoint"; point: CrashPoint; skip: number }
  | { type: "disarmCrashPoints" }
  /** The user's objects, read from the storage behind the faults. */
  | { type: "listCloud"; userId: string }
  /** An object's bytes (base64), read from the storage behind the faults. */
  | { type: "readCloud"; userId: string; objectId: string };

export interface ServerResults {
  armCloudFault: null;
  healCloud: null;
  armCrashPoint: null;
  disarmCrashPoints: null;
  listCloud: CloudObject[];
  readCloud: string;
}

export type ToServer = { id: number; request: ServerRequest };

export type FromServer =
  /** The server listens: sent once per process. */
  | { type: "ready"; url: string }
  | { type: "answer"; id: number; ok: true; result: unknown }
  | { type: "answer"; id: number; ok: false; error: string };

/** The environment variables the simulator gives a server process beyond the server's own (SMSYNC_*). */
export const simEnvironment = {
  /** "local" or "google-drive". */
  cloud: "SIM_CLOUD",
  /** The fake Drive's root URL (it runs in the simulator, so that its files outlive the server process). */
  driveRootUrl: "SIM_DRIVE_ROOT_URL",
} as const;
