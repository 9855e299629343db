// A file sent as a change of its previous version (docs/protocol.md, "Changed
// files as deltas"): a list of ops that rebuild the new bytes in order, each
// either a range of the base version's bytes (which the server has) or a
// number of bytes that follow in the request. A 4 KiB change in a 32 MiB file
// then sends the blocks around the change and a short list, not 32 MiB.
import { UploadMetadataError } from "./uploadMetadata.ts";

/** Bytes [offset, offset + length) of the base version. */
export interface CopyOp {
  copy: [offset: number, length: number];
}

/** The next `literal` bytes of the request. */
export interface LiteralOp {
  literal: number;
}

export type DeltaOp = CopyOp | LiteralOp;

export interface FileDelta {
  /** The version whose bytes the copies read: the file's live version in the index. */
  baseVersion: number;
  ops: DeltaOp[];
}

/** At most this many ops a file: a file in the server's blocks (fileBlocksPath), every other block changed. */
export const maxDeltaOps = 16_384;

/** Where a device asks the block hashes of a file's live version (POST, a framed head `{ fileUUID, version }`). */
export const fileBlocksPath = "/upload-batches/blocks";

/** The server's answer: the sha256 of each block of `blockSize` bytes (the last one may be shorter), in order. */
export interface FileBlocks {
  fileUUID: string;
  version: number;
  size: number;
  blockSize: number;
  blocks: string[];
}

/** The block size of a file's hashes: 128 KiB, or larger so that a file has at most 8,192 blocks. */
export function blockSizeFor(size: number): number {
  let blockSize = 128 * 1024;
  while (size / blockSize > 8192) blockSize *= 2;
  return blockSize;
}

export function isCopyOp(op: DeltaOp): op is CopyOp {
  return "copy" in op;
}

/** The bytes of a delta that travel in the request. */
export function literalBytesOf(delta: FileDelta): number {
  return delta.ops.reduce((sum, op) => sum + (isCopyOp(op) ? 0 : op.literal), 0);
}

/** The size of the file a delta rebuilds. */
export function rebuiltSizeOf(delta: FileDelta): number {
  return delta.ops.reduce((sum, op) => sum + (isCopyOp(op) ? op.copy[1] : op.literal), 0);
}

function wholeNumber(value: unknown, min: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min;
}

/**
 * A delta as a file of a batch head carries it, checked: a base version
 * before the file's version, ops that are copies of positive length at
 * whole offsets or positive literal lengths, adding up to the file's size.
 * Whether the base is the live version and the copies lie within it, only
 * the server can tell.
 */
export function readFileDelta(value: unknown, file: { version: number; size: number }, where: string): FileDelta {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UploadMetadataError(`${where}.delta must be an object with baseVersion and ops`, "delta");
  }
  const { baseVersion, ops } = value as Record<string, unknown>;
  if (!wholeNumber(baseVersion, 0) || baseVersion >= file.version) {
    throw new UploadMetadataError(`${where}.delta.baseVersion must be a version before ${file.version}`, "delta");
  }
  if (!Array.isArray(ops) || ops.length === 0 || ops.length > maxDeltaOps) {
    throw new UploadMetadataError(`${where}.delta.ops must list 1 to ${maxDeltaOps} ops`, "delta");
  }
  const read = ops.map((op: unknown, index): DeltaOp => {
    const entry = typeof op === "object" && op !== null ? (op as Record<string, unknown>) : {};
    const copy = entry.copy;
    if (Array.isArray(copy) && copy.length === 2 && wholeNumber(copy[0], 0) && wholeNumber(copy[1], 1)) {
      return { copy: [copy[0], copy[1]] };
    }
    if (wholeNumber(entry.literal, 1)) return { literal: entry.literal };
    throw new UploadMetadataError(
      `${where}.delta.ops[${index}] must be {"copy":[offset,length]} or {"literal":length}, lengths above 0`,
      "delta",
    );
  });
  const delta = { baseVersion, ops: read };
  const size = rebuiltSizeOf(delta);
  if (size !== file.size) {
    throw new UploadMetadataError(`${where}.delta rebuilds ${size} bytes, not the file's size ${file.size}`, "delta");
  }
  return delta;
}
