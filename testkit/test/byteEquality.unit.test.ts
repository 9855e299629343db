import { describe, expect, it } from "vitest";
import "../src/byteEquality.ts";

describe("byte equality", () => {
  it("compares Buffers and Uint8Arrays by their bytes, also inside arrays and objects", () => {
    const mib = Buffer.alloc(1024 * 1024, 7);
    expect(Buffer.from(mib)).toEqual(mib);
    expect([{ bytes: new Uint8Array([1, 2, 3]) }]).toEqual([{ bytes: new Uint8Array([1, 2, 3]) }]);
  });

  it("fails on a differing byte, a differing length, or an empty array against a full one", () => {
    const changed = Buffer.alloc(1024 * 1024, 7);
    changed[changed.length - 1] = 8;
    expect(() => expect(changed).toEqual(Buffer.alloc(1024 * 1024, 7))).toThrow();
    expect(() => expect(Buffer.from([1, 2])).toEqual(Buffer.from([1, 2, 0]))).toThrow();
    expect(() => expect([new Uint8Array(0)]).toEqual([new Uint8Array([0])])).toThrow();
  });
});
