// A clock for tests: the system time plus an offset that only grows, like
// the server's OffsetClock. advance() moves it forward and fires at once the
// timers it passes, so a test gets past a lease or a backoff without
// sleeping; time still flows, so a timer also fires when its time comes on
// its own. A test that must be the only one to fire a wait makes the wait
// longer than the test runs (a backoff of minutes), then advances past it.
import type { Clock, TimerPurpose } from "./clock.ts";

/** A timer set and not yet fired or cancelled. */
export interface PendingTimer {
  readonly purpose: TimerPurpose;
  /** The delay it was set with. */
  readonly ms: number;
  /** When it fires, on this clock. */
  readonly dueAt: number;
}

interface Timer extends PendingTimer {
  fire(): void;
}

export class MovableClock implements Clock {
  private offsetMs = 0;
  private readonly timers = new Set<Timer>();
  private readonly watchers = new Set<(timer: PendingTimer) => void>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  setTimer(callback: () => void, ms: number, purpose: TimerPurpose): () => void {
    const cancel = () => {
      clearTimeout(real);
      this.timers.delete(timer);
    };
    const timer: Timer = {
      purpose,
      ms,
      dueAt: this.now() + ms,
      fire: () => {
        cancel();
        callback();
      },
    };
    // The real timer covers the time that flows; advance() covers the time a test skips.
    const real = setTimeout(() => timer.fire(), ms);
    this.timers.add(timer);
    for (const watch of [...this.watchers]) watch({ purpose, ms, dueAt: timer.dueAt });
    return cancel;
  }

  /** Moves this clock `ms` forward and fires, in order, the timers due by then. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a clock only moves forward: advance(${ms})`);
    this.offsetMs += ms;
    const due = [...this.timers].filter((timer) => timer.dueAt <= this.now()).sort((a, b) => a.dueAt - b.dueAt);
    for (const timer of due) timer.fire();
  }

  /** The timers set and neither fired nor cancelled. */
  get pending(): PendingTimer[] {
    return [...this.timers].map(({ purpose, ms, dueAt }) => ({ purpose, ms, dueAt }));
  }

  /**
   * The next timer set for this purpose from now on (take the promise before
   * the step that sets it). It never settles if none is set: the test's
   * timeout then fails the test.
   */
  nextTimer(purpose: TimerPurpose): Promise<PendingTimer> {
    return new Promise((resolve) => {
      const watch = (timer: PendingTimer) => {
        if (timer.purpose !== purpose) return;
        this.watchers.delete(watch);
        resolve(timer);
      };
      this.watchers.add(watch);
    });
  }
}
