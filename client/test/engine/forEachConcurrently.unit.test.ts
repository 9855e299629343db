// The batch's transfer pool: at most N at once, and on a failure no new item
// starts, the running ones are aborted and awaited before the failure is thrown.
import { describe, expect, it } from "vitest";
import { forEachConcurrently } from "../../src/engine/forEachConcurrently.ts";
import { abortReason } from "../../src/errors.ts";

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    });
  });
}

describe("forEachConcurrently", () => {
  it("runs every item, never more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, new AbortController().signal, async (item, signal) => {
      most = Math.max(most, ++running);
      await abortable(5 + (item % 3) * 5, signal);
      running -= 1;
      done.push(item);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it("after a failure starts nothing new, aborts and awaits the running items, then throws the failure", async () => {
    const started: number[] = [];
    const settled: string[] = [];
    const failure = new Error("item 2 failed");
    const run = forEachConcurrently([1, 2, 3, 4, 5], 2, new AbortController().signal, async (item, signal) => {
      started.push(item);
      try {
        if (item === 2) {
          await abortable(10, signal);
          throw failure;
        }
        await abortable(1000, signal);
      } finally {
        settled.push(`${item}`);
      }
    });
    await expect(run).rejects.toBe(failure);
    expect(started).toEqual([1, 2]);
    expect(settled.sort()).toEqual(["1", "2"]);
  });

  it("a parent abort (suspend) ends the pool with the parent's reason", async () => {
    const parent = new AbortController();
    const suspended = new Error("suspended");
    const run = forEachConcurrently([1, 2, 3], 2, parent.signal, (_item, signal) => abortable(1000, signal));
    setTimeout(() => parent.abort(suspended), 10);
    await expect(run).rejects.toBe(suspended);
  });
});
