// Transfers of a batch run a few at a time: small files are dominated by
// round trips and store commits, which overlap well. What matters is how it
// fails: on the first failure no new item starts, the running ones are
// aborted through their signal and awaited (no upload may outlive the pass
// that started it, or a retried pass would race it), then that first failure
// is thrown.

export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  parentSignal: AbortSignal,
  work: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const siblings = new AbortController();
  const signal = AbortSignal.any([parentSignal, siblings.signal]);
  const queue = items.values(); // shared by the workers: each item is taken once
  let firstFailure: { error: unknown } | undefined;
  const worker = async () => {
    while (!signal.aborted) {
      const next = queue.next();
      if (next.done) return;
      try {
        await work(next.value, signal);
      } catch (error) {
        // A sibling's abort is not a failure of its own; the parent's abort is the caller's to see.
        if (!firstFailure && !(siblings.signal.aborted && error === siblings.signal.reason)) {
          firstFailure = { error };
          siblings.abort(new Error("aborted: another transfer of the batch failed"));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (firstFailure) throw firstFailure.error;
  parentSignal.throwIfAborted();
}
