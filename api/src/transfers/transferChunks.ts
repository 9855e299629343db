// A transfer works through its files in chunks: the chunk's files go to (or
// come from) the cloud concurrently, then one transaction records them all.
// Doing the database work per chunk rather than per file is what keeps the
// server's CPU per small file low (docs/performance.md); the crash safety is
// per file all the same, since a file is recorded only after its cloud step,
// and a cloud step is idempotent by (fileUUID, version).
//
// The first chunk of an attempt holds one file: a cloud that fails every
// call (credentials revoked, a quota, a full disk) fails on it, with one
// call spent and not a chunk's worth, and a server that is stopping finishes
// one file, not a chunk, before it hands the transfer over. The next hold 64
// files, then twice as many each, up to 256: each chunk costs a transaction
// (its fsync on the event loop, with SQLite) and an event, and 10,000 small
// files make 42 chunks rather than 158; the early ones stay small, so that a
// device downloading during the transfer (the client's earlyDownloads.ts)
// gets its first files soon.

/**
 * At most this many bytes a chunk (a file larger than the budget has a chunk
 * to itself), and files as chunkFileLimit says, from `files` to `maxFiles`.
 */
export const transferChunk = { files: 64, maxFiles: 256, bytes: 32 * 1024 * 1024 } as const;

/** The files the chunk at this position (from 0) holds at most. */
export function chunkFileLimit(chunkIndex: number): number {
  if (chunkIndex === 0) return 1;
  return Math.min(transferChunk.files * 2 ** (chunkIndex - 1), transferChunk.maxFiles);
}

/** Calls to the cloud at once, for a backend that does not say (CloudStorage.writeConcurrency). */
export const defaultCloudConcurrency = 1;

/** The items in chunks, in order: the first of one item, then up to chunkFileLimit's files and transferChunk's bytes. */
export function transferChunks<T extends { size: bigint }>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const limit = chunkFileLimit(chunks.length);
    const size = Number(item.size);
    if (current.length > 0 && (current.length >= limit || bytes + size > transferChunk.bytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
