// A transfer that waits for the cloud rather than failing: the user's store
// is full (only the user can make room) or the cloud's quota says slow down.
// Neither is the transfer's fault, so a wait spends none of its attempts and
// never fails it; the worker tries again after the delay chosen here.
import type { CloudStorageError } from "../cloud/CloudStorageError.ts";
import type { Config } from "../config/config.ts";

export type CloudWaitCode = "CLOUD_STORAGE_FULL" | "CLOUD_RATE_LIMITED";

/** The error codes a waiting transfer records (and its OPERATION_STATE event carries). */
export const cloudWaitCodes: readonly CloudWaitCode[] = ["CLOUD_STORAGE_FULL", "CLOUD_RATE_LIMITED"];

export function cloudWaitCode(error: CloudStorageError): CloudWaitCode {
  return error.kind === "storageFull" ? "CLOUD_STORAGE_FULL" : "CLOUD_RATE_LIMITED";
}

/**
 * How long to wait before the next try. The cloud's Retry-After when it gave
 * one; a full store is polled at a steady pace, so the transfer resumes soon
 * after space returns; a rate limit waits as long again as it has waited so
 * far (exponential over the waits, from the backoff base up to its cap), with
 * jitter in the upper half so that many waiting transfers do not return together.
 */
export function cloudWaitDelayMs(
  error: CloudStorageError,
  waitedMs: number,
  config: Pick<Config, "transferStorageFullPollMs" | "transferBackoffBaseMs" | "transferBackoffCapMs">,
  random = Math.random,
): number {
  if (error.retryAfterMs !== undefined) return Math.max(0, error.retryAfterMs);
  if (error.kind === "storageFull") return config.transferStorageFullPollMs;
  const ceiling = Math.min(config.transferBackoffCapMs, Math.max(config.transferBackoffBaseMs, waitedMs));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
