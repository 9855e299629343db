import { describe, expect, it } from "vitest";
import { ChangeSettling } from "../../src/cli/settling.ts";

describe("ChangeSettling", () => {
  let now = 1_000_000;
  const clock = () => now;

  it("leaves a file changed a moment ago for later", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.isUnsettled("notes/todo.txt", now - 50)).toBe(true);
    expect(settling.isUnsettled("notes/todo.txt", now - 100)).toBe(false);
    expect(settling.isUnsettled("notes/other.txt", now - 10_000)).toBe(false);
  });

  it("takes a time in the future as no sign of a write in progress", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.isUnsettled("copied.txt", now + 3_600_000)).toBe(false);
  });

  it("takes a deletion once the path has been seen gone for the settle time", () => {
    const settling = new ChangeSettling(100, clock);
    // The first scan that finds it gone: no event or time says since when.
    expect(settling.isUnsettled("notes/old.txt", undefined)).toBe(true);
    now += 50;
    expect(settling.isUnsettled("notes/old.txt", undefined)).toBe(true);
    now += 50;
    expect(settling.isUnsettled("notes/old.txt", undefined)).toBe(false);
    // Once taken, a later deletion of the same path waits again.
    settling.taken("notes/old.txt");
    now += 5000;
    expect(settling.isUnsettled("notes/old.txt", undefined)).toBe(true);
  });

  it("takes a path gone long ago, that came back meanwhile, as gone anew", () => {
    const settling = new ChangeSettling(100, clock);
    expect(settling.isUnsettled("draft.txt", undefined)).toBe(true);
    now += 120_000;
    expect(settling.isUnsettled("draft.txt", undefined)).toBe(true);
  });

  it("takes everything at once with no settle time", () => {
    const settling = new ChangeSettling(0, clock);
    expect(settling.isUnsettled("a", undefined)).toBe(false);
    expect(settling.isUnsettled("b", now)).toBe(false);
  });

  it("forgets paths seen gone long ago", () => {
    const settling = new ChangeSettling(100, clock);
    settling.isUnsettled("a", undefined);
    now += 70_000;
    settling.isUnsettled("b", undefined);
    settling.forgetSettled();
    expect((settling as unknown as { goneSince: Map<string, number> }).goneSince.size).toBe(1);
  });
});
