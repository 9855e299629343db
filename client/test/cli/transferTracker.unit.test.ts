// The bookkeeping behind `smsync sync`'s progress, fed the engine's events
// directly: totals, resumed transfers, files that complete without a progress
// event, and how often the plain-line view writes.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { ClientEvents } from "../../src/SmsyncClient.ts";
import { ProgressLines } from "../../src/cli/progressLines.ts";
import {
  TransferTracker,
  type TransferEvents,
  type TransferTotals,
  type TransferView,
} from "../../src/cli/transferTracker.ts";

class FakeClient implements TransferEvents {
  private readonly emitter = new EventEmitter();
  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
  emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void {
    this.emitter.emit(event, payload);
  }
  listeners(): number {
    return this.emitter.eventNames().reduce((sum, name) => sum + this.emitter.listenerCount(name), 0);
  }
}

/** A view that records what it was told. */
function recordingView() {
  const calls: string[] = [];
  let closedWith: TransferTotals | null = null;
  const view: TransferView = {
    started: (file) => calls.push(`started ${file.name} ${file.bytesDone}/${file.bytesTotal}`),
    progressed: (file, totals) =>
      calls.push(`progressed ${file.name} ${file.bytesDone} total ${totals.bytesDone}/${totals.bytesTotal}`),
    finished: (file, totals) => calls.push(`finished ${file.name} files ${totals.filesDone}/${totals.filesTotal}`),
    log: (line) => calls.push(`log ${line}`),
    close: (totals) => (closedWith = { ...totals }),
  };
  return { view, calls, closed: () => closedWith };
}

describe("TransferTracker", () => {
  it("counts expected transfers ahead and unexpected ones as they start, and stops listening when closed", () => {
    const client = new FakeClient();
    const { view, calls, closed } = recordingView();
    const tracker = new TransferTracker(view);
    tracker.expect("upload", "u1", "notes.txt", 100);
    tracker.expect("upload", "u2", "big.bin", 1000);
    // The index said 450 bytes; the transfer will say 500, and it is right.
    tracker.expect("download", "d1", "photos/cat.jpg", 450);
    tracker.watch(client);

    client.emit("transferProgress", {
      direction: "upload",
      fileUUID: "u2",
      version: 1,
      bytesDone: 400,
      bytesTotal: 1000,
    });
    client.emit("transferProgress", {
      direction: "upload",
      fileUUID: "u2",
      version: 1,
      bytesDone: 1000,
      bytesTotal: 1000,
    });
    client.emit("singleUploadComplete", { fileUUID: "u2", version: 1, kind: "upload", batch: 1 });
    // A small file may complete without any progress event; a deletion is not a transfer.
    client.emit("singleUploadComplete", { fileUUID: "u1", version: 1, kind: "upload", batch: 1 });
    client.emit("singleUploadComplete", { fileUUID: "gone", version: 2, kind: "delete", batch: 1 });
    client.emit("transferProgress", {
      direction: "download",
      fileUUID: "d1",
      version: 3,
      bytesDone: 50,
      bytesTotal: 500,
    });
    client.emit("transferProgress", {
      direction: "download",
      fileUUID: "x9abcdef-0000",
      version: 1,
      bytesDone: 10,
      bytesTotal: 20,
    });

    expect(calls).toEqual([
      "started big.bin 0/1000",
      "progressed big.bin 400 total 400/1550",
      "progressed big.bin 1000 total 1000/1550",
      "finished big.bin files 1/3",
      "started notes.txt 0/100",
      "finished notes.txt files 2/3",
      "started photos/cat.jpg 0/500",
      "progressed photos/cat.jpg 50 total 1150/1600",
      "started x9abcdef 0/20",
      "progressed x9abcdef 10 total 1160/1620",
    ]);
    tracker.close();
    expect(closed()).toMatchObject({ filesDone: 2, filesTotal: 4, bytesDone: 1160, bytesTotal: 1620 });
    expect(client.listeners()).toBe(0);
  });

  it("counts a resumed transfer's bytes once, and never beyond the file's size", () => {
    const client = new FakeClient();
    const { view, closed } = recordingView();
    const tracker = new TransferTracker(view);
    tracker.expect("upload", "u1", "big.bin", 1000);
    tracker.watch(client);
    for (const bytesDone of [300, 600, 500, 600, 1200]) {
      client.emit("transferProgress", { direction: "upload", fileUUID: "u1", version: 1, bytesDone, bytesTotal: 1000 });
    }
    tracker.close();
    expect(closed()).toMatchObject({ bytesDone: 1000, bytesTotal: 1000, filesDone: 0 });
  });
});

describe("ProgressLines", () => {
  it("writes the first event at once, then at most one line a period, a line per large file done, and the totals", () => {
    const lines: string[] = [];
    const tracker = new TransferTracker(new ProgressLines((line) => lines.push(line), 60_000));
    const client = new FakeClient();
    tracker.expect("upload", "big", "big.bin", 4 * 1024 * 1024);
    tracker.expect("upload", "small", "small.txt", 10);
    tracker.watch(client);
    for (let mib = 1; mib <= 4; mib++) {
      client.emit("transferProgress", {
        direction: "upload",
        fileUUID: "big",
        version: 1,
        bytesDone: mib * 1024 * 1024,
        bytesTotal: 4 * 1024 * 1024,
      });
    }
    client.emit("singleUploadComplete", { fileUUID: "big", version: 1, kind: "upload", batch: 1 });
    client.emit("singleUploadComplete", { fileUUID: "small", version: 1, kind: "upload", batch: 1 });
    tracker.log("a step");
    tracker.close();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^progress: 0\/2 files, 1\.0 MiB\/4\.0 MiB \(.*\); uploading big\.bin 25% 1\.0 MiB\/4\.0 MiB/,
    );
    expect(lines[1]).toMatch(
      /^progress: 1\/2 files, 4\.0 MiB\/4\.0 MiB \(.*\); uploaded big\.bin 100% 4\.0 MiB\/4\.0 MiB/,
    );
    expect(lines[2]).toBe("a step");
    expect(lines[3]).toMatch(/^transferred 2\/2 files, 4\.0 MiB\/4\.0 MiB \(.*\) in [\d.]+ s$/);
  });
});
