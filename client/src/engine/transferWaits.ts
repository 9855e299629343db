// Transfers that wait for room rather than fail (docs/protocol.md, "Transfers
// that wait"): the user's cloud storage is full or rate-limits the server
// (the server's transfer waits and resumes by itself, spending no attempts),
// or the server's own staging area is full (this device's upload keeps its
// bytes and resumes on a later pass). The engine tells the app at once with
// a `transferWaiting` event, so that it can ask the person to free space.
import type { Operation } from "./followOperation.ts";

/** Why a transfer waits. */
export type TransferWaitCode = "CLOUD_STORAGE_FULL" | "CLOUD_RATE_LIMITED" | "STAGING_FULL";

export interface TransferWaitingEvent {
  direction: "upload" | "download";
  code: TransferWaitCode;
  /** The server's transfer (null for an upload the staging area refused before its commit). */
  operationId: string | null;
  message: string;
}

/** The codes a server transfer records while it waits (it is not ended, and its last try ended in a wait). */
const serverWaitCodes = new Set<string>(["CLOUD_STORAGE_FULL", "CLOUD_RATE_LIMITED"]);

/** The wait an operation that has not ended is in, if its last try ended in one. */
export function serverWaitOf(operation: Operation): "CLOUD_STORAGE_FULL" | "CLOUD_RATE_LIMITED" | null {
  if (operation.state === "SUCCEEDED" || operation.state === "FAILED") return null;
  const code = operation.errorCode;
  return code && serverWaitCodes.has(code) ? (code as "CLOUD_STORAGE_FULL" | "CLOUD_RATE_LIMITED") : null;
}
