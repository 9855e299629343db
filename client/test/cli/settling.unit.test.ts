import { describe, expect, it } from "vitest";
import { ChangeSettling } from "../../src/cli/settling.ts";

describe("ChangeSettling", () => {
  let now = 1_000_000;
  const clock = () => now;

  it("leaves a path with a recent event, or a file modified a moment ago, for later", () => {
    const settling = new ChangeSettling(100, clock);
    settling.moved(["notes/todo.txt"]);
    expect(settling.isUnsettled("notes/todo.txt", now - 10_000)).toBe(true);
    expect(settling.isUnsettled("notes/other.txt", now - 10_000)).toBe(false);
    expect(settling.isUnsettled("notes/other.txt", now - 50)).toBe(true);
    now += 100;
    expect(settling.isUnsettled("notes/todo.txt", now - 10_000)).toBe(false);
  });

  it("counts an event on a folder for every path under it", () => {
    const settling = new ChangeSettling(100, clock);
    settling.moved(["photos"]);
    expect(settling.isUnsettled("photos/2026/a.jpg", undefined)).toBe(true);
    expect(settling.isUnsettled("photography.txt", undefined)).toBe(false);
  });

  it("takes a modification time in the future as no sign of a write in progress", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.isUnsettled("copied.txt", now + 3_600_000)).toBe(false);
  });

  it("forgets the paths that have settled", () => {
    const settling = new ChangeSettling(100, clock);
    settling.moved(["a", "b"]);
    now += 60;
    settling.moved(["b"]);
    now += 50;
    settling.forgetSettled();
    expect(settling.isUnsettled("a", undefined)).toBe(false);
    expect(settling.isUnsettled("b", undefined)).toBe(true);
    expect((settling as unknown as { lastEventAt: Map<string, number> }).lastEventAt.size).toBe(1);
  });
});
