// Transfers that wait for room rather than fail (docs/protocol.md, "Transfers
// that wait"): the user's cloud storage is full or rate-limits the server, or
// the server's staging area is full while it stages a download (the server's
// transfer waits and resumes by itself, spending no attempts); or the staging
// area refused this device's upload (it keeps its bytes and resumes on a
// later pass). The engine tells the app at once with
// a `transferWaiting` event, so that it can ask the person to free space.
import { isTransferWaitCode, type TransferWaitCode } from "@smsync/protocol";
// The operation's generated type, not followOperation.ts's alias of it: followOperation.ts imports this module.
import type { OperationStatusFieldsFragment as OperationStatus } from "../graphql/generated/graphql.ts";

/** Why a transfer waits. */
export type { TransferWaitCode };

export interface TransferWaitingEvent {
  direction: "upload" | "download";
  code: TransferWaitCode;
  /** The server's transfer (null for an upload the staging area refused before its commit). */
  operationId: string | null;
  message: string;
}

/** The wait an operation that has not ended is in, if its last try ended in one. */
export function serverWaitOf(operation: OperationStatus): TransferWaitCode | null {
  if (operation.state === "SUCCEEDED" || operation.state === "FAILED") return null;
  return isTransferWaitCode(operation.errorCode) ? operation.errorCode : null;
}
