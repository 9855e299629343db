// Reading and hashing files: small ones with synchronous calls
// (smallFileReads.ts), larger ones a megabyte at a time (sha256.ts); both
// give the same hash as hashing the bytes in memory.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256OfFile } from "../../src/content/sha256.ts";
import { readSmallFileSync } from "../../src/content/smallFileReads.ts";

const dir = mkdtempSync(path.join(tmpdir(), "smsync-file-reads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer): string {
  const at = path.join(dir, name);
  writeFileSync(at, bytes);
  return at;
}

const bytesOf = (size: number) => Buffer.from(Array.from({ length: size }, (_, index) => (index * 7 + 3) % 251));
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("readSmallFileSync", () => {
  it("reads a file whole up to the limit, and leaves a larger one unread", () => {
    const bytes = bytesOf(5000);
    const at = file("five-thousand", bytes);
    expect(readSmallFileSync(at, 5000)).toEqual(bytes);
    expect(readSmallFileSync(at, 4999)).toBeNull();
    expect(readSmallFileSync(file("empty", Buffer.alloc(0)), 0)).toEqual(Buffer.alloc(0));
  });

  it("throws the file system's error for a missing file", () => {
    expect(() => readSmallFileSync(path.join(dir, "missing"), 10)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});

describe("sha256OfFile", () => {
  it.each([0, 1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 17])("hashes a file of %i bytes", async (size) => {
    const bytes = bytesOf(size);
    expect(await sha256OfFile(file(`sized-${size}`, bytes))).toEqual({ sha256: sha256(bytes), bytes: size });
  });
});
