// The devices waiting for a user's lock, in the order they first asked: when
// the lock is free, the device that has waited longest takes it, and a device
// that keeps asking cannot overtake the others. A device told to retry after
// a while and asking again sooner is refused from memory, without a database
// read, so a device that ignores the hint costs the server almost nothing.
//
// The line lives in this instance's memory. With several instances the
// database still decides who holds the lock (locks.ts); the order is kept
// among the devices that ask the same instance.

/** How long a polling device is told to wait after LOCK_HELD. */
export const lockRetrySeconds = 1;

/** A device asking again this much before its hint is still in time (clocks and timers are not exact). */
const earlyToleranceMs = 100;

/** A device that has not asked again this long after its hint has given up: it loses its place. */
const givenUpAfterMs = 3000;

interface Waiter {
  /** When it may ask again (ms since the epoch): a poll before this is refused from memory. */
  notBefore: number;
  /** Requests of this device waiting in the server for the lock (lock with waitSeconds). */
  present: number;
}

export class LockLine {
  /** By user, the waiting devices by deviceId; a Map keeps the order they joined in. */
  private readonly lines = new Map<string, Map<string, Waiter>>();

  /** Seconds the device must still wait when it asks again before its hint ran out; null when it is in time. */
  tooEarly(userId: string, deviceId: string, now: number): number | null {
    const waiter = this.lines.get(userId)?.get(deviceId);
    if (!waiter || waiter.present > 0 || now >= waiter.notBefore - earlyToleranceMs) return null;
    return secondsUntil(waiter.notBefore, now);
  }

  /** Whether a device that has waited longer than this one is still waiting (the lock is theirs first). */
  othersFirst(userId: string, deviceId: string, now: number): boolean {
    const line = this.lines.get(userId);
    if (!line) return false;
    for (const [waitingId, waiter] of line) {
      if (waitingId === deviceId) return false;
      if (!hasGivenUp(waiter, now)) return true;
      line.delete(waitingId);
    }
    if (line.size === 0) this.lines.delete(userId);
    return false;
  }

  /** The device was refused: it keeps its place (or takes the last one) and may ask again after `retryAfterSeconds`. */
  refused(userId: string, deviceId: string, now: number, retryAfterSeconds: number): void {
    let line = this.lines.get(userId);
    if (!line) this.lines.set(userId, (line = new Map<string, Waiter>()));
    const waiter = line.get(deviceId);
    const notBefore = now + retryAfterSeconds * 1000;
    if (waiter) waiter.notBefore = notBefore;
    else line.set(deviceId, { notBefore, present: 0 });
  }

  /** The device holds the lock now, or stopped waiting: it leaves the line. */
  leave(userId: string, deviceId: string): void {
    const line = this.lines.get(userId);
    if (!line?.delete(deviceId)) return;
    if (line.size === 0) this.lines.delete(userId);
  }

  /**
   * A request of the device waits in the server: its place is kept while it
   * does. The result is called when it ends; a device still without the lock
   * then keeps its place for as long as a polling one would.
   */
  arrive(userId: string, deviceId: string, now: number): (now: number) => void {
    this.refused(userId, deviceId, now, 0);
    const waiter = this.lines.get(userId)!.get(deviceId)!;
    waiter.present++;
    return (endedAt) => {
      waiter.present--;
      waiter.notBefore = endedAt;
    };
  }

  /** Drops the devices that gave up waiting, for every user (the lines of users nobody asks for again). */
  prune(now: number): void {
    for (const [userId, line] of this.lines) {
      for (const [deviceId, waiter] of line) if (hasGivenUp(waiter, now)) line.delete(deviceId);
      if (line.size === 0) this.lines.delete(userId);
    }
  }

  /** How many devices wait for the user's lock (for tests and metrics). */
  waiting(userId: string): number {
    return this.lines.get(userId)?.size ?? 0;
  }

  /** How many of them have a call waiting in the server now. */
  waitingInServer(userId: string): number {
    return [...(this.lines.get(userId)?.values() ?? [])].filter((waiter) => waiter.present > 0).length;
  }
}

function hasGivenUp(waiter: Waiter, now: number): boolean {
  return waiter.present === 0 && now >= waiter.notBefore + givenUpAfterMs;
}

function secondsUntil(time: number, now: number): number {
  return Math.max(0.1, Math.ceil((time - now) / 100) / 10);
}
