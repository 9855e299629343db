// Where the client reads the time and waits: the lease's renewals, the
// backoff before a pass or an outbox request is tried again, the wait after
// LOCK_HELD, the polling of a server transfer, live mode's waits. It is an option of the client
// (default: the system's) so that a test moves time forward past a lease or
// a backoff instead of sleeping (MovableClock.ts), as the server's tests do
// with its OffsetClock. Timestamps only recorded (queuedAt, storedAt) keep
// reading the system time: nothing waits on them.

/** What a wait is for: a test moving the clock names the wait it moves past. */
export type TimerPurpose =
  | "leaseRenewal"
  | "passRetry"
  | "lockHeldRetry"
  | "outboxBackoff"
  | "operationPoll"
  /** Live mode (engine/liveSync.ts): the quiet time before a pass, a poll of eventSeq, the wait for a subscription to be served. */
  | "livePass"
  | "livePoll"
  | "liveSubscribe";

export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `callback` once `ms` of this clock's time have passed; the function returned cancels it. */
  setTimer(callback: () => void, ms: number, purpose: TimerPurpose): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
