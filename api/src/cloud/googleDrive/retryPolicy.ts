// Capped exponential backoff with full jitter for Drive requests, honouring
// Retry-After. Only "transient" failures are retried; when the attempts run
// out the failure goes up as it is (still "transient"), and the transfer's
// own backoff takes over. Delays are injectable so tests run fast and can
// see what was waited.
import { toDriveFailure, type DriveRequestError } from "./driveFailures.ts";

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; a longer one is left to the transfer's retry. */
  maxRetryAfterMs: number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 16_000,
  maxRetryAfterMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The wait before retry number `attempt` (1 = the first retry). */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/** Runs `call` until it succeeds, fails for good, or the attempts run out. */
export async function withRetries<T>(policy: RetryPolicy, what: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure = await toDriveFailure(what, error);
      const retryAfterMs = (failure as Partial<DriveRequestError>).retryAfterMs;
      if (!failure.retryable || attempt >= policy.maxAttempts) throw failure;
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) throw failure;
      await policy.sleep(backoffDelay(policy, attempt, retryAfterMs));
    }
  }
}
