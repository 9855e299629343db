// Work over a list, a few items at once, whose results count in order: a
// failure keeps every result before it and none after it (the transfers
// record files in order; the local cloud's batch writes place them so).

export interface InOrderOutcome<T, R> {
  /** The results of the items before the first that failed, in order. */
  results: R[];
  /** The first item (in order) that failed, and its error. */
  failed?: { item: T; error: unknown };
}

/**
 * Runs task (synchronous or not) for each item, `limit` at once, items started in order. After a
 * failure no further item starts, and the ones in flight are waited for (a
 * write left running could race the retry of its own object). Only the
 * results before the first failure count: the files of a transfer are
 * recorded in order, as when they went one at a time, so that a failure
 * leaves every file before it done and none after it.
 */
export async function runInOrder<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => R | Promise<R>,
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

/**
 * runInOrder in steps over the same items, each step over the items that no
 * earlier step failed: what a failure leaves is the items before the first
 * one that failed in any step, in order. Tasks get each item's index in the
 * original list.
 */
export class InOrderSteps<T> {
  /** The items no step has failed yet: always a prefix of the original list. */
  live: T[];
  private failed: { item: T; error: unknown } | undefined;

  constructor(items: T[]) {
    this.live = items;
  }

  async step<R>(limit: number, task: (item: T, index: number) => R | Promise<R>): Promise<R[]> {
    const items = this.live;
    const outcome = await runInOrder([...items.keys()], limit, (index) => task(items[index]!, index));
    this.live = items.slice(0, outcome.results.length);
    // A later step only runs the items before any earlier failure, so its failure is the earlier one.
    if (outcome.failed) this.failed = { item: items[outcome.failed.item]!, error: outcome.failed.error };
    return outcome.results;
  }

  /** Every item failed at once (by what they all need), reported as the first's failure. */
  failAll<R>(error: unknown): InOrderOutcome<T, R> {
    return { results: [], failed: { item: this.live[0]!, error } };
  }

  outcome<R>(result: (item: T, index: number) => R): InOrderOutcome<T, R> {
    return { results: this.live.map(result), ...(this.failed ? { failed: this.failed } : {}) };
  }
}
