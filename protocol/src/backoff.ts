// Capped exponential backoff with full jitter: the wait before retry number
// `attempt` (1 = the first) is drawn uniformly from [0, ceiling], where the
// ceiling is baseMs·2^(attempt−1), capped at capMs. Full jitter (rather than
// "equal jitter", [ceiling/2, ceiling]) spreads the retries of many clients
// that failed together the most, for the least total wait
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
// The server's transfers and the client's engine and outbox all use it, each
// with its own base and cap.

export interface BackoffLimits {
  /** The ceiling of the first wait. */
  baseMs: number;
  /** The highest ceiling: waits never exceed it. */
  capMs: number;
}

/** The most that retry number `attempt` (1 = the first) waits: baseMs·2^(attempt−1), at most capMs. */
export function backoffCeilingMs(attempt: number, { baseMs, capMs }: BackoffLimits): number {
  // 2^52 already exceeds any cap; the exponent is bounded so a long run of failures never makes Infinity.
  const exponent = Math.min(Math.max(0, attempt - 1), 52);
  return Math.min(capMs, baseMs * 2 ** exponent);
}

/** The wait before retry number `attempt`, in whole ms: full jitter over [0, backoffCeilingMs]. `random` returns a number in [0, 1). */
export function backoffDelayMs(attempt: number, limits: BackoffLimits, random: () => number = Math.random): number {
  return Math.round(random() * backoffCeilingMs(attempt, limits));
}
