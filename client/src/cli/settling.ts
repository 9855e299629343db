// When a change in a watched folder is taken (`smsync watch`): once it has
// been left alone for `settleMs`. A file changed (written, or renamed into
// place) less than that ago, by its own times, is left for a later scan, so
// that a file still being written is not uploaded half written; a path
// found gone is taken as deleted once it has been seen gone for that long,
// so that an editor's save (the old file renamed away, then the new one
// renamed in) is not taken for a deletion. The watcher's events only say
// when to scan: they come in batches, some tens of milliseconds behind the
// folder, and the scan sees the folder as it is.

/** The default of `smsync watch --settle-ms`. */
export const defaultSettleMs = 100;

/** A path seen gone longer ago than this without its deletion being taken is taken as gone anew (it came back meanwhile). */
const forgetGoneAfterMs = 60_000;

export class ChangeSettling {
  /** When a scan first found each known path gone: a deleted file has no time of its own. */
  private readonly goneSince = new Map<string, number>();

  constructor(
    readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a change is too recent to take: a file last changed at
   * `changedAtMs` (the later of its modification and change times), or,
   * with `changedAtMs` undefined, a path that is gone (a deletion).
   */
  isUnsettled(relativePath: string, changedAtMs: number | undefined): boolean {
    const now = this.now();
    const since = now - this.settleMs;
    if (changedAtMs !== undefined) {
      // A time in the future (a clock set wrong, a copy that kept it) says nothing of a write in progress.
      return changedAtMs > since && changedAtMs <= now;
    }
    let goneAt = this.goneSince.get(relativePath);
    if (goneAt === undefined || goneAt <= now - forgetGoneAfterMs) {
      goneAt = now;
      this.goneSince.set(relativePath, now);
    }
    return goneAt > since;
  }

  /** The deletion of this path was taken (queued): a later one is timed afresh. */
  taken(relativePath: string): void {
    this.goneSince.delete(relativePath);
  }

  /** Forgets paths seen gone long ago (a long watch must not keep every path it ever saw). */
  forgetSettled(): void {
    const before = this.now() - forgetGoneAfterMs;
    for (const [relativePath, at] of this.goneSince) if (at <= before) this.goneSince.delete(relativePath);
  }
}
