// Waits that one call ends together: the send loop sleeps on one (idle, or a
// backoff) and an enqueue, setOnline(true), clear() or close() wakes it.
import type { Clock, TimerPurpose } from "../../time/clock.ts";

export class Wakeup {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolves on the next wake(), or after `timeout.ms` of the clock if given. */
  wait(timeout?: { ms: number; purpose: TimerPurpose }): Promise<void> {
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined;
      const done = () => {
        cancel?.();
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      if (timeout) cancel = this.clock.setTimer(done, timeout.ms, timeout.purpose);
    });
  }

  wake(): void {
    for (const done of [...this.waiters]) done();
  }
}
