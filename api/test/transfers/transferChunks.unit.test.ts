// The chunks a transfer works through (transferChunks.ts): one file first,
// then 64, doubling to 256, none over the byte budget but a lone large file.
import { describe, expect, it } from "vitest";
import { chunkFileLimit, transferChunk, transferChunks } from "../../src/transfers/transferChunks.ts";

const files = (count: number, size = 1024) => Array.from({ length: count }, () => ({ size: BigInt(size) }));
const lengths = (chunks: unknown[][]) => chunks.map((chunk) => chunk.length);

describe("transferChunks", () => {
  it("holds one file first, then 64, 128 and 256 files a chunk", () => {
    expect([0, 1, 2, 3, 4, 9].map(chunkFileLimit)).toEqual([1, 64, 128, 256, 256, 256]);
    expect(lengths(transferChunks(files(10_000)))).toEqual([
      1,
      64,
      128,
      ...Array.from({ length: 38 }, () => 256),
      10_000 - 193 - 38 * 256,
    ]);
    expect(transferChunks(files(10_000))).toHaveLength(42);
  });

  it("keeps every item once, in order", () => {
    const items = files(1000).map((item, index) => ({ ...item, index }));
    expect(
      transferChunks(items)
        .flat()
        .map((item) => item.index),
    ).toEqual(items.map((item) => item.index));
  });

  it("ends a chunk at the byte budget, and gives a file larger than it a chunk of its own", () => {
    const quarter = transferChunk.bytes / 4;
    expect(lengths(transferChunks(files(10, quarter)))).toEqual([1, 4, 4, 1]);
    expect(lengths(transferChunks([...files(2), ...files(1, transferChunk.bytes * 2), ...files(2)]))).toEqual([
      1, 1, 1, 2,
    ]);
  });
});
