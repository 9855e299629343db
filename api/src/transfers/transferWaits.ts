// A transfer that waits rather than fails: the user's cloud storage is full
// (only the user can make room), the cloud's quota says slow down, or the
// server's own disk (its staging area) is full (the operator must make room).
// None is the transfer's fault, so a wait spends none of its attempts and
// never fails it; the worker tries again after the delay chosen here.
import type { TransferWaitCode } from "@smsync/protocol";
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import type { Config } from "../config/config.ts";
import { isFileSystemFull } from "../errors/fileSystemFull.ts";

export interface TransferWait {
  code: TransferWaitCode;
  message: string;
  /** How long the cloud asked us to wait (Retry-After), when it said. */
  retryAfterMs?: number;
}

/** The wait a transfer's failure calls for, or null when it is a failure (retried with an attempt, or final). */
export function transferWaitOf(error: unknown): TransferWait | null {
  if (error instanceof CloudStorageError && error.waitsWithoutAttempt) {
    const code = error.kind === "storageFull" ? "CLOUD_STORAGE_FULL" : "CLOUD_RATE_LIMITED";
    return {
      code,
      message: error.message,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  // The cloud backends classify their own full disks; a bare ENOSPC is the server's disk (staging a download).
  if (isFileSystemFull(error))
    return { code: "STAGING_FULL", message: `the server's staging area is full (${error.code}): ${error.message}` };
  return null;
}

/**
 * How long to wait before the next try. The cloud's Retry-After when it gave
 * one; a full store or disk is polled at a steady pace, so the transfer
 * resumes soon after space returns; a rate limit waits as long again as it has
 * waited so far (exponential over the waits, from the backoff base up to its
 * cap), with jitter in the upper half so that waiting transfers spread out.
 */
export function transferWaitDelayMs(
  wait: TransferWait,
  waitedMs: number,
  config: Pick<Config, "transferStorageFullPollMs" | "transferBackoffBaseMs" | "transferBackoffCapMs">,
  random = Math.random,
): number {
  if (wait.retryAfterMs !== undefined) return Math.max(0, wait.retryAfterMs);
  if (wait.code !== "CLOUD_RATE_LIMITED") return config.transferStorageFullPollMs;
  const ceiling = Math.min(config.transferBackoffCapMs, Math.max(config.transferBackoffBaseMs, waitedMs));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
