// Waits that one call ends together: the send loop sleeps on one (idle, or a
// backoff) and an enqueue, setOnline(true), clear() or close() wakes it.

export class Wakeup {
  private readonly waiters = new Set<() => void>();

  /** Resolves on the next wake(), or after ms if given. */
  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      if (ms !== undefined) timer = setTimeout(done, ms);
    });
  }

  wake(): void {
    for (const done of [...this.waiters]) done();
  }
}
