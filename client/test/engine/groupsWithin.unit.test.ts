import { describe, expect, it } from "vitest";
import { groupsWithin } from "../../src/engine/groupsWithin.ts";

describe("groupsWithin", () => {
  const size = (n: number) => n;

  it("keeps the order and cuts at the count or the bytes, whichever comes first", () => {
    expect(groupsWithin([1, 1, 1, 1, 1], { count: 2, bytes: 100 }, size)).toEqual([[1, 1], [1, 1], [1]]);
    expect(groupsWithin([3, 3, 3, 1], { count: 10, bytes: 6 }, size)).toEqual([
      [3, 3],
      [3, 1],
    ]);
  });

  it("gives an item over the byte limit a group of its own, and nothing for no items", () => {
    expect(groupsWithin([1, 9, 1], { count: 10, bytes: 5 }, size)).toEqual([[1], [9], [1]]);
    expect(groupsWithin([], { count: 1, bytes: 1 }, size)).toEqual([]);
  });
});
