// Deterministic upload content, produced as a stream so that no size (1 GiB
// included) is ever held in memory: one 1 MiB pseudo-random block, repeated.
// The sha256 the upload metadata needs up front comes from a first pass over
// the same stream (hashContent), the upload from a second.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

const blockSize = MiB;

/** xorshift32: the same bytes on every run and every machine. */
function pseudoRandomBlock(seed: number): Buffer {
  const block = Buffer.allocUnsafe(blockSize);
  let x = seed >>> 0 || 1;
  for (let offset = 0; offset < blockSize; offset += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    block.writeUInt32LE(x, offset);
  }
  return block;
}

// Never written to after this line: chunks handed out are views of it.
const block = pseudoRandomBlock(0x5eed);

/** The bytes [start, end) of the content of a file of the given size, as views of the block. */
export function* contentChunks(
  size: number,
  start = 0,
  end = size,
  onChunk?: (bytes: number) => void,
): Generator<Buffer> {
  if (start < 0 || end > size || start > end) throw new RangeError(`bad range [${start}, ${end}) of ${size}`);
  let position = start;
  while (position < end) {
    const offset = position % blockSize;
    const length = Math.min(blockSize - offset, end - position);
    const chunk = block.subarray(offset, offset + length);
    position += length;
    onChunk?.(length);
    yield chunk;
  }
}

/** A byte stream of the content (or of a range of it). */
export function contentStream(size: number, start = 0, end = size, onChunk?: (bytes: number) => void): Readable {
  return Readable.from(contentChunks(size, start, end, onChunk), { objectMode: false });
}

/** First pass: the sha256 of the content of a file of this size, hashed as it streams. */
export function hashContent(size: number): string {
  const hash = createHash("sha256");
  for (const chunk of contentChunks(size)) hash.update(chunk);
  return hash.digest("hex");
}

/** A small file held in memory, different for each `index` (its first 8 bytes carry it). */
export function smallFile(size: number, index: number): Buffer {
  const content = Buffer.alloc(size);
  let position = 0;
  for (const chunk of contentChunks(size)) {
    chunk.copy(content, position);
    position += chunk.length;
  }
  if (size >= 8) content.writeBigUInt64LE(BigInt(index), 0);
  return content;
}
