// When a change in a watched folder is taken (`smsync watch`): once it has
// been left alone for a while. A path with a watcher event, or a file
// modified, less than `settleMs` ago is left for a later scan, so that a
// file still being written is not uploaded half written, and an editor's
// save (the old file renamed away, then the new one renamed in) is not
// taken for a deletion followed by a new file.

/** The default of `smsync watch --settle-ms`. */
export const defaultSettleMs = 100;

export class ChangeSettling {
  /** When each path last moved, by the watcher's word. */
  private readonly lastEventAt = new Map<string, number>();

  constructor(
    readonly settleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The watcher saw these paths (files or folders) change. */
  moved(relativePaths: Iterable<string>): void {
    const now = this.now();
    for (const relativePath of relativePaths) this.lastEventAt.set(relativePath, now);
  }

  /** Whether a change at this path (or in a folder above it), or a file modified at `mtimeMs`, is too recent to take. */
  isUnsettled(relativePath: string, mtimeMs: number | undefined): boolean {
    const since = this.now() - this.settleMs;
    // A time in the future (a clock set wrong, a copy that kept it) settles nothing: only the events count then.
    if (mtimeMs !== undefined && mtimeMs > since && mtimeMs <= this.now()) return true;
    for (let at = relativePath; at !== ""; at = parentOf(at)) {
      const movedAt = this.lastEventAt.get(at);
      if (movedAt !== undefined && movedAt > since) return true;
    }
    return false;
  }

  /** Forgets the paths that have settled (a long watch must not keep every path it ever saw). */
  forgetSettled(): void {
    const since = this.now() - this.settleMs;
    for (const [relativePath, at] of this.lastEventAt) if (at <= since) this.lastEventAt.delete(relativePath);
  }
}

function parentOf(relativePath: string): string {
  const slash = relativePath.lastIndexOf("/");
  return slash === -1 ? "" : relativePath.slice(0, slash);
}
