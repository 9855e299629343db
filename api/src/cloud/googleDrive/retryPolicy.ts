// Truncated exponential backoff for Drive requests, as Google advises for
// Drive (https://developers.google.com/drive/api/guides/limits): wait 2^n
// seconds plus up to a second of random jitter, capped at a minute, and
// honour Retry-After. So the waits are about 1, 2, 4, 8, 16, 32 and 60 s:
// the eight attempts span two minutes, longer than Drive's per-minute quota
// windows. "transient" and "rateLimited" failures are retried here; when the
// attempts run out the failure goes up as it is: a "transient" one spends one
// of the transfer's attempts, a "rateLimited" one (with the Retry-After that
// Drive asked for, even one longer than this policy waits) makes the transfer
// wait without spending one. "storageFull" is not retried here: only the user
// can fix it. Delays are injectable so tests run fast and can see what was
// waited.
//
// The exponential steps are the protocol's backoff ceilings; the jitter is
// Google's additive one, not the protocol's full jitter: full jitter could
// retry a rate-limited Drive at once, and would let the eight attempts end
// well inside one quota window.
import { backoffCeilingMs } from "@smsync/protocol";
import type { CloudStorageError } from "../CloudStorageError.ts";
import { toDriveFailure } from "./driveFailures.ts";

export interface RetryPolicy {
  maxAttempts: number;
  /** The first wait; each next one doubles, plus up to this much random jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After waited here; a longer one goes up with the failure, for the transfer to wait. */
  maxRetryAfterMs: number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The wait before retry number `attempt` (1 = the first retry). */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const exponential = backoffCeilingMs(attempt, { baseMs: policy.baseDelayMs, capMs: policy.maxDelayMs });
  const jitter = Math.floor(policy.random() * policy.baseDelayMs);
  return Math.min(policy.maxDelayMs, exponential + jitter);
}

/** A failure that waiting a little inside the request may fix. */
export function retriedInRequest(failure: CloudStorageError): boolean {
  return failure.kind === "transient" || failure.kind === "rateLimited";
}

/** Runs `call` until it succeeds, fails for good, or the attempts run out. */
export async function withRetries<T>(policy: RetryPolicy, what: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = await toDriveFailure(what, error);
      if (!retriedInRequest(failure) || attempt >= policy.maxAttempts) throw failure;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) throw failure;
      await policy.sleep(backoffDelay(policy, attempt, failure.retryAfterMs));
    }
  }
}
