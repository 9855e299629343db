// The Drive upload's view of the content: fixed-size chunks read as needed,
// hashed once in order, and read again from the start when Drive asks for
// bytes before the current chunk.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ContentChunks } from "../../src/cloud/googleDrive/ContentChunks.ts";

const chunkSize = 256 * 1024;

function source(content: Buffer) {
  const opened: number[] = [];
  const open = () => {
    opened.push(opened.length);
    return Readable.from(
      (function* () {
        for (let at = 0; at < content.length; at += 10_000) yield content.subarray(at, at + 10_000);
      })(),
    );
  };
  return { open, opened };
}

describe("ContentChunks", () => {
  it("gives the chunk holding an offset, reopening the content for an offset before the current chunk", async () => {
    const content = randomBytes(3 * chunkSize + 123);
    const { open, opened } = source(content);
    const chunks = new ContentChunks(open, chunkSize, content.length);
    expect((await chunks.chunkAt(0)).start).toBe(0);
    expect((await chunks.chunkAt(chunkSize + 5)).start).toBe(chunkSize);
    expect(opened).toHaveLength(1);
    const again = await chunks.chunkAt(100);
    expect(opened).toHaveLength(2);
    expect(again.bytes.equals(content.subarray(0, chunkSize))).toBe(true);
    const last = await chunks.chunkAt(3 * chunkSize);
    expect(last).toMatchObject({ start: 3 * chunkSize, last: true });
    expect(last.bytes.equals(content.subarray(3 * chunkSize))).toBe(true);
    expect(chunks.digests()).toEqual({
      md5: createHash("md5").update(content).digest("hex"),
      sha256: createHash("sha256").update(content).digest("hex"),
    });
  });

  it("has one empty last chunk for empty content", async () => {
    const { open } = source(Buffer.alloc(0));
    expect(await new ContentChunks(open, chunkSize, 0).chunkAt(0)).toMatchObject({
      start: 0,
      last: true,
      bytes: Buffer.alloc(0),
    });
  });
});
