// The folder's manifest skips hashing a file whose size and modification
// time are what it recorded. That is safe only if no later write can give
// the file the recorded time again: a file system stamps times at its own
// granularity (a few milliseconds on Linux, whole seconds on FAT or HFS+),
// so a file written, looked at, and written again within one tick keeps its
// time. An edit of the same size made just after a download was put in
// place, or just after a scan read the file, would be taken for no change
// and never synced (git's "racily clean" entries). Such a time is not
// recorded: the entry gets 0, and the next look hashes the file.

/**
 * Two ticks on file systems with fine timestamps: Linux stamps by its coarse
 * clock, which ticks every 1 to 10 ms and lags the real time by up to a tick.
 * Short enough that a large download, fsynced before it is put in place, is
 * not hashed again.
 */
const fineGranularityMs = 20;
/** FAT stamps every 2 s, HFS+ every second: their times have no fraction of a second. */
const coarseGranularityMs = 2000;

/** The modification time to record for a file looked at `lookedAtMs` (by Date.now()), or 0 when a later write could carry the same time. */
export function trustedMtime(mtimeMs: number, lookedAtMs: number): number {
  const granularity = mtimeMs % 1000 === 0 ? coarseGranularityMs : fineGranularityMs;
  return mtimeMs <= lookedAtMs - granularity ? mtimeMs : 0;
}
