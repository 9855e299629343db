// The lock's waiting line on its own: order, hints, giving up, pruning.
import { describe, expect, it } from "vitest";
import { LockLine } from "../../src/locks/LockLine.ts";

describe("LockLine", () => {
  it("keeps the order devices joined in, and lets the first one through", () => {
    const line = new LockLine();
    line.refused("u", "a", 0, 1);
    line.refused("u", "b", 10, 1);
    expect(line.othersFirst("u", "b", 1000)).toBe(true);
    expect(line.othersFirst("u", "a", 1000)).toBe(false);
    line.leave("u", "a");
    expect(line.othersFirst("u", "b", 1000)).toBe(false);
  });

  it("says how long a device asking before its hint must still wait", () => {
    const line = new LockLine();
    line.refused("u", "a", 0, 1);
    expect(line.tooEarly("u", "a", 500)).toBe(0.5);
    expect(line.tooEarly("u", "a", 950)).toBeNull();
  });

  it("prunes the devices that gave up, but not one waiting in the server", () => {
    const line = new LockLine();
    line.refused("u", "gone", 0, 1);
    const depart = line.arrive("v", "waiting", 0);
    line.prune(60_000);
    expect(line.waiting("u")).toBe(0);
    expect(line.waiting("v")).toBe(1);
    depart(60_000);
    line.prune(120_000);
    expect(line.waiting("v")).toBe(0);
  });
});
