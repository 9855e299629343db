import { describe, expect, it } from "vitest";
import { literalBytesOf, readFileDelta, rebuiltSizeOf, sentBytesOf, UploadMetadataError } from "../src/index.ts";

const file = { version: 3, size: 300 };

describe("readFileDelta", () => {
  it("reads copies and literals that add up to the file's size", () => {
    const delta = readFileDelta(
      { baseVersion: 2, ops: [{ copy: [0, 100] }, { literal: 50 }, { copy: [100, 150] }] },
      file,
      "f",
    );
    expect(delta).toEqual({ baseVersion: 2, ops: [{ copy: [0, 100] }, { literal: 50 }, { copy: [100, 150] }] });
    expect(literalBytesOf(delta)).toBe(50);
    expect(rebuiltSizeOf(delta)).toBe(300);
    expect(sentBytesOf({ size: 300, delta })).toBe(50);
    expect(sentBytesOf({ size: 300 })).toBe(300);
  });

  it.each([
    ["not an object", [], /must be an object/],
    [
      "a base at or after the version",
      { baseVersion: 3, ops: [{ literal: 300 }] },
      /baseVersion must be a version before 3/,
    ],
    ["a negative base", { baseVersion: -1, ops: [{ literal: 300 }] }, /baseVersion/],
    ["no ops", { baseVersion: 2, ops: [] }, /must list 1 to/],
    ["a copy of no bytes", { baseVersion: 2, ops: [{ copy: [0, 0] }, { literal: 300 }] }, /ops\[0\]/],
    ["a negative offset", { baseVersion: 2, ops: [{ copy: [-1, 300] }] }, /ops\[0\]/],
    ["a fractional literal", { baseVersion: 2, ops: [{ literal: 299.5 }, { literal: 0.5 }] }, /ops\[0\]/],
    ["an unknown op", { baseVersion: 2, ops: [{ move: [0, 300] }] }, /ops\[0\]/],
    [
      "ops short of the size",
      { baseVersion: 2, ops: [{ literal: 299 }] },
      /rebuilds 299 bytes, not the file's size 300/,
    ],
  ])("refuses %s", (_name, value, message) => {
    expect(() => readFileDelta(value, file, "files[0]")).toThrow(UploadMetadataError);
    expect(() => readFileDelta(value, file, "files[0]")).toThrow(message);
  });
});
