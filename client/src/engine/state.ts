// The engine's state in the store: what each step persists before the
// request it names is sent, so a relaunch resumes it with the same
// idempotency keys (docs/client-design.md, "The store model").
import type { PreparedChange } from "../queues/records.ts";
import type { IndexEntry } from "./planDownloads.ts";

/** The engine's keys in "meta". */
export const metaKeys = {
  mode: "mode",
  lockKey: "engine.lockKey",
  inbound: "engine.inbound",
  outbound: "engine.outbound",
} as const;

/** engine.inbound: the inbound transfer, while beingDownloaded holds files. */
export interface InboundState {
  idempotencyKey: string;
  fencingToken: number;
  files: { fileUUID: string; version: number }[];
  operationId: string | null;
}

export interface BeingDownloaded {
  entry: IndexEntry;
}

export interface BeingUploaded {
  change: PreparedChange;
  /** The version the upload makes (upload) or deletes (delete). */
  version: number;
  /** The upload is a new version of a file the server has deleted (a conflict kept local). */
  undelete?: boolean;
  done: boolean;
}

/** engine.outbound: the batch being uploaded, while beingUploaded holds it. */
export interface OutboundState {
  batch: number;
  committedAt: string;
  fencingToken: number;
  deleteKey: string;
  /** Set once the deleteFiles answer has been taken. */
  deletionsRecorded: boolean;
  commitKey: string;
  /** Set once the commit has been enqueued (its answer may still be pending). */
  commitSent: boolean;
  operationId: string | null;
  /** Commits sent again under the same grant after the transfer FAILED. */
  resumes: number;
}
