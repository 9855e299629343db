// Where the server reads the time for a decision: a lease or a claim has
// expired, a retry is due, a record is old enough to drop. It is part of
// Services so that a test moves time forward instead of sleeping
// (OffsetClock). Marks that only say "due now" (a new operation's
// nextAttemptAt) and timestamps only recorded may keep reading the system
// time: no clock the server runs with is behind it.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};
