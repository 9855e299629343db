// When a change in a watched folder is taken (`smsync watch`): once it has
// been left alone for `settleMs`, by the folder's own times. A file changed
// (written, or renamed into place) less than that ago is left for a later
// scan, so that a file still being written is not uploaded half written. A
// path found gone is timed by the folder that held it: removing a file, or
// renaming or removing a folder, stamps the folder above, so an editor's
// save (the old file renamed away, then the new one renamed in) is not
// taken for a deletion while it is under way. The watcher's events only say
// when to scan: they come in batches, some tens of milliseconds behind the
// folder, and the scan sees the folder as it is. While some of what it
// finds has not settled, it takes none of it (for up to a second), and
// scans again the moment the last of it settles: a burst goes up as one
// batch.
import { statSync } from "node:fs";
import path from "node:path";

/** The default of `smsync watch --settle-ms`. */
export const defaultSettleMs = 100;

/**
 * The longest a scan holds back settled changes because others are not
 * settled yet: a file written without pause (a log, a long copy) must not
 * hold back every other change for as long as it goes on.
 */
const longestHoldMs = 1000;

export class ChangeSettling {
  /** When the scans began to hold back settled changes for unsettled ones (undefined: they are not). */
  private holdingSince: number | undefined;

  constructor(
    readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a scan that found changes not settled yet takes none of the
   * settled ones either, so that a burst (written over a while, seen by
   * scans part way through) goes up as one batch: yes, for up to a second.
   */
  holdsBack(unsettledFound: boolean): boolean {
    if (!unsettledFound) {
      this.holdingSince = undefined;
      return false;
    }
    const now = this.now();
    this.holdingSince ??= now;
    return now - this.holdingSince < longestHoldMs;
  }

  /** Whether a change made at `changedAtMs` (by the file system's clock) is too recent to take. */
  isUnsettled(changedAtMs: number): boolean {
    const now = this.now();
    // A time in the future (a clock set wrong, a copy that kept it) says nothing of a write in progress.
    return changedAtMs > now - this.settleMs && changedAtMs <= now;
  }

  /** How long until changes made at these times have all settled (0 when they have). */
  settledInMs(changedAtMs: Iterable<number>): number {
    const now = this.now();
    let latest = 0;
    for (const at of changedAtMs) if (at <= now) latest = Math.max(latest, at + this.settleMs - now);
    return Math.ceil(latest);
  }
}

/**
 * When a path of the folder was last changed in a way that could have
 * removed it: the later of the modification and change times of the
 * nearest folder above it that still exists (the root at the highest).
 * `folderTimes` caches each folder's time for one scan.
 */
export function removalTime(root: string, relativePath: string, folderTimes: Map<string, number>): number {
  const folder = path.posix.dirname(relativePath);
  const cached = folderTimes.get(folder);
  if (cached !== undefined) return cached;
  const info = statSync(path.join(root, folder), { throwIfNoEntry: false });
  const time =
    info?.isDirectory() || folder === "."
      ? Math.max(info?.mtimeMs ?? 0, info?.ctimeMs ?? 0)
      : removalTime(root, folder, folderTimes);
  folderTimes.set(folder, time);
  return time;
}
