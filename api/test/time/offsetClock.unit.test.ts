// The clock test servers run on: the system time, moved forward by advance(),
// never back.
import { describe, expect, it } from "vitest";
import { OffsetClock } from "../../src/time/OffsetClock.ts";

describe("OffsetClock", () => {
  it("reads the system time until advanced, then that far ahead of it", () => {
    const clock = new OffsetClock();
    const before = Date.now();
    const unmoved = clock.now().getTime();
    expect(unmoved).toBeGreaterThanOrEqual(before);
    expect(unmoved).toBeLessThanOrEqual(Date.now());

    clock.advance(3_600_000);
    clock.advance(60_000);
    const after = Date.now();
    const moved = clock.now().getTime() - 3_660_000;
    expect(moved).toBeGreaterThanOrEqual(after);
    expect(moved).toBeLessThanOrEqual(Date.now());
  });

  it("refuses to go back or by a non-number", () => {
    const clock = new OffsetClock();
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Infinity)).toThrow(RangeError);
  });
});
