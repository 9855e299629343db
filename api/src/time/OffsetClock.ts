// The system time plus an offset that only grows: a test advances it past a
// lease or a backoff instead of sleeping. Time still flows, so everything
// that waits on real timers (the transfer worker's polls, heartbeats) keeps
// running as it would; and it is never behind the system time (clock.ts).
import type { Clock } from "./clock.ts";

export class OffsetClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves this clock `ms` milliseconds forward. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a clock only moves forward: advance(${ms})`);
    this.offsetMs += ms;
  }
}
