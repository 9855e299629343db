// The batch's totals as a running sum: each event must say what adding up
// every file's progress would say (the sum is kept, not recomputed, so that
// an event a file costs the same in a batch of 10,000 files as in one of 10).
import { describe, expect, it } from "vitest";
import { BatchProgress, type BatchProgressEvent } from "../../src/engine/batchProgress.ts";

function tracked(files: { fileUUID: string; size: number; done: boolean }[]) {
  const events: BatchProgressEvent[] = [];
  const progress = new BatchProgress({ direction: "upload", batch: 1, operationId: null }, files, (event) =>
    events.push(event),
  );
  const last = () => {
    const { filesDone, filesTotal, bytesDone, bytesTotal } = events.at(-1)!;
    return { filesDone, filesTotal, bytesDone, bytesTotal };
  };
  return { progress, last };
}

describe("BatchProgress", () => {
  it("sums the bytes of files in progress, done before, and done now", () => {
    const { progress, last } = tracked([
      { fileUUID: "a", size: 100, done: true },
      { fileUUID: "b", size: 200, done: false },
      { fileUUID: "c", size: 300, done: false },
    ]);
    progress.fileProgress("b", 50);
    expect(last()).toEqual({ filesDone: 1, filesTotal: 3, bytesDone: 150, bytesTotal: 600 });
    progress.fileProgress("b", 120); // a later report of the same file replaces the earlier one
    progress.fileProgress("c", 10);
    expect(last()).toEqual({ filesDone: 1, filesTotal: 3, bytesDone: 230, bytesTotal: 600 });
    progress.fileDone("b");
    expect(last()).toEqual({ filesDone: 2, filesTotal: 3, bytesDone: 310, bytesTotal: 600 });
    progress.fileProgress("c", 5); // a resumed transfer may start lower again
    expect(last()).toEqual({ filesDone: 2, filesTotal: 3, bytesDone: 305, bytesTotal: 600 });
    progress.fileDone("c");
    expect(last()).toEqual({ filesDone: 3, filesTotal: 3, bytesDone: 600, bytesTotal: 600 });
  });

  it("counts no file's bytes twice: progress past its size, progress after done, done twice", () => {
    const { progress, last } = tracked([
      { fileUUID: "a", size: 100, done: true },
      { fileUUID: "b", size: 200, done: false },
    ]);
    progress.fileProgress("b", 999);
    expect(last().bytesDone).toBe(300);
    progress.fileProgress("a", 40);
    progress.fileDone("b");
    progress.fileDone("b");
    progress.fileProgress("b", 10);
    expect(last()).toEqual({ filesDone: 2, filesTotal: 2, bytesDone: 300, bytesTotal: 300 });
  });
});
