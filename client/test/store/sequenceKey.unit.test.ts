import { describe, expect, it } from "vitest";
import { sequenceKey } from "../../src/store/ClientStore.ts";

describe("sequenceKey", () => {
  it("sorts as strings in numeric order", () => {
    const numbers = [0, 9, 10, 99, 100, 12345678901];
    const keys = numbers.map(sequenceKey);
    expect([...keys].sort()).toEqual(keys);
  });

  it("refuses negative and fractional numbers", () => {
    expect(() => sequenceKey(-1)).toThrow(RangeError);
    expect(() => sequenceKey(1.5)).toThrow(RangeError);
  });
});
