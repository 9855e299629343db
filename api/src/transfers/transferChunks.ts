// A transfer works through its files in chunks: the chunk's files go to (or
// come from) the cloud concurrently, then one transaction records them all.
// Doing the database work per chunk rather than per file is what keeps the
// server's CPU per small file low (docs/performance.md); the crash safety is
// per file all the same, since a file is recorded only after its cloud step,
// and a cloud step is idempotent by (fileUUID, version).
//
// The first chunk of an attempt holds one file: a cloud that fails every
// call (credentials revoked, a quota, a full disk) fails on it, with one
// call spent and not a chunk's worth, and a server that is stopping finishes
// one file, not a chunk, before it hands the transfer over.

/** At most this many files, or about this many bytes, a chunk (a file larger than the budget has a chunk to itself). */
export const transferChunk = { files: 64, bytes: 32 * 1024 * 1024 } as const;

/** Calls to the cloud at once, for a backend that does not say (CloudStorage.writeConcurrency). */
export const defaultCloudConcurrency = 1;

/** The items in chunks, in order: the first of one item, then up to transferChunk's limits. */
export function transferChunks<T extends { size: bigint }>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const limit = chunks.length === 0 ? 1 : transferChunk.files;
    const size = Number(item.size);
    if (current.length > 0 && (current.length >= limit || bytes + size > transferChunk.bytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface InOrderOutcome<T, R> {
  /** The results of the items before the first that failed, in order. */
  results: R[];
  /** The first item (in order) that failed, and its error. */
  failed?: { item: T; error: unknown };
}

/**
 * Runs task for each item, `limit` at once, items started in order. After a
 * failure no further item starts, and the ones in flight are waited for (a
 * write left running could race the retry of its own object). Only the
 * results before the first failure count: the files of a transfer are
 * recorded in order, as when they went one at a time, so that a failure
 * leaves every file before it done and none after it.
 */
export async function runInOrder<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<InOrderOutcome<T, R>> {
  const outcomes: ({ ok: true; value: R } | { ok: false; error: unknown } | undefined)[] = [];
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (!stopped && next < items.length) {
      const index = next++;
      try {
        outcomes[index] = { ok: true, value: await task(items[index]!) };
      } catch (error) {
        outcomes[index] = { ok: false, error };
        stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  const results: R[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    if (!outcome) break;
    if (!outcome.ok) return { results, failed: { item: items[index]!, error: outcome.error } };
    results.push(outcome.value);
  }
  return { results };
}
