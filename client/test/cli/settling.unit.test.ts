import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChangeSettling, removalTime } from "../../src/cli/settling.ts";

describe("ChangeSettling", () => {
  let now = 1_000_000;
  const clock = () => now;

  it("leaves a change made a moment ago for later", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.isUnsettled(now - 50)).toBe(true);
    expect(settling.isUnsettled(now - 100)).toBe(false);
    expect(settling.isUnsettled(now - 10_000)).toBe(false);
  });

  it("takes a time in the future as no sign of a write in progress", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.isUnsettled(now + 3_600_000)).toBe(false);
  });

  it("takes everything at once with no settle time", () => {
    const settling = new ChangeSettling(0, clock);
    expect(settling.isUnsettled(now)).toBe(false);
  });

  it("says when the last of the changes left for later will have settled", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.settledInMs([now - 80, now - 30.5, now - 60])).toBe(70);
    expect(settling.settledInMs([now - 500])).toBe(0);
    expect(settling.settledInMs([now + 3_600_000])).toBe(0);
    expect(settling.settledInMs([])).toBe(0);
  });

  it("holds settled changes back while others are not settled, for up to a second, then again after a quiet scan", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.holdsBack(true)).toBe(true);
    now += 600;
    expect(settling.holdsBack(true)).toBe(true);
    now += 400;
    // A file written without pause: the rest goes up without it.
    expect(settling.holdsBack(true)).toBe(false);
    now += 100;
    expect(settling.holdsBack(false)).toBe(false);
    expect(settling.holdsBack(true)).toBe(true);
  });
});

describe("removalTime", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const folderTime = (folder: string) => {
    const info = statSync(folder);
    return Math.max(info.mtimeMs, info.ctimeMs);
  };

  it("times a deleted file by the folder that held it, a file of a deleted folder by the nearest folder left", () => {
    const root = mkdtempSync(path.join(tmpdir(), "smsync-settling-"));
    dirs.push(root);
    mkdirSync(path.join(root, "notes/old/a"), { recursive: true });
    writeFileSync(path.join(root, "notes/todo.txt"), "x");
    const before = folderTime(path.join(root, "notes"));
    rmSync(path.join(root, "notes/old"), { recursive: true });
    rmSync(path.join(root, "notes/todo.txt"));
    const folderTimes = new Map<string, number>();
    expect(removalTime(root, "notes/todo.txt", folderTimes)).toBe(folderTime(path.join(root, "notes")));
    expect(removalTime(root, "notes/todo.txt", folderTimes)).toBeGreaterThanOrEqual(before);
    expect(removalTime(root, "notes/old/a/b.txt", folderTimes)).toBe(folderTime(path.join(root, "notes")));
    // Each folder looked at once in a scan.
    expect([...folderTimes.keys()].sort()).toEqual(["notes", "notes/old", "notes/old/a"]);
  });

  it("goes up to the root for a path in a folder renamed away", () => {
    const root = mkdtempSync(path.join(tmpdir(), "smsync-settling-"));
    dirs.push(root);
    mkdirSync(path.join(root, "drafts"));
    renameSync(path.join(root, "drafts"), path.join(root, "sent"));
    expect(removalTime(root, "drafts/letter.txt", new Map())).toBe(folderTime(root));
  });
});
