// A changed file sent as a delta of its live version (docs/protocol.md,
// "Changed files as deltas"): the server gives the sha256 of each block of
// the live version (POST <uploadBatchUrl>/blocks); the device hashes its new
// content block by block, copies the blocks that match at the same offset,
// and sends the rest as literal bytes on the batch path. A change of a few
// KiB in a large file then sends a block or two. Fixed blocks: an insertion
// sends everything after it (still correct, and no worse than the whole file).
import { encodeFrameHead, uploadBatchMediaType, type DeltaOp, type FileBlocks, type FileDelta } from "@smsync/protocol";
import { NetworkError, abortReason } from "../errors.ts";
import { sha256Hex } from "../platform/bytes.ts";
import { serverErrorFromResponse } from "./httpErrors.ts";
import { LocalSourceError } from "./LocalSourceError.ts";
import type { UploadContent } from "./uploadSources.ts";

export interface DeltaToSend {
  delta: FileDelta;
  /** The literal bytes, in the order of the delta's ops. */
  literals: Uint8Array;
}

/** The block hashes of a file's live version, or null when that version is not live (then the whole file goes). */
export async function fileBlocksOf(
  uploadBatchUrl: string,
  token: string,
  file: { fileUUID: string; version: number },
  signal?: AbortSignal,
): Promise<FileBlocks | null> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${uploadBatchUrl}/blocks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": uploadBatchMediaType },
      body: new Blob([encodeFrameHead(file)]),
      ...(signal ? { signal } : {}),
    });
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal, "Asking a file's blocks");
    throw new NetworkError(`asking the blocks of ${file.fileUUID}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 404) return null;
  if (!response.ok) throw serverErrorFromResponse(response.status, text, `asking the blocks of ${file.fileUUID}`);
  return JSON.parse(text) as FileBlocks;
}

/**
 * The delta that rebuilds `content` (of `size` bytes) from the base the
 * blocks describe; null when it would send more than `maxLiteralBytes`.
 */
export async function deltaOf(
  content: UploadContent,
  size: number,
  base: FileBlocks,
  maxLiteralBytes: number,
): Promise<DeltaToSend | null> {
  const { blockSize } = base;
  const ops: DeltaOp[] = [];
  const literals: Uint8Array[] = [];
  let literalBytes = 0;
  let offset = 0;
  for await (const block of blocksOf(content, size, blockSize)) {
    const index = offset / blockSize;
    const matches =
      index < base.blocks.length &&
      offset + block.byteLength <= base.size &&
      base.blocks[index] === (await sha256Hex(block));
    const last = ops.at(-1);
    if (matches) {
      if (last && "copy" in last && last.copy[0] + last.copy[1] === offset) last.copy[1] += block.byteLength;
      else ops.push({ copy: [offset, block.byteLength] });
    } else {
      literalBytes += block.byteLength;
      if (literalBytes > maxLiteralBytes) return null;
      literals.push(block);
      if (last && "literal" in last) last.literal += block.byteLength;
      else ops.push({ literal: block.byteLength });
    }
    offset += block.byteLength;
  }
  if (offset !== size)
    throw new LocalSourceError(`the content has ${offset} bytes, not the ${size} queued: it changed`);
  return { delta: { baseVersion: base.version, ops }, literals: concat(literals, literalBytes) };
}

function concat(pieces: Uint8Array[], length: number): Uint8Array {
  const whole = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    whole.set(piece, at);
    at += piece.byteLength;
  }
  return whole;
}

/** The content in blocks of blockSize bytes (the last one shorter), read one block at a time. */
export async function* blocksOf(content: UploadContent, size: number, blockSize: number): AsyncGenerator<Uint8Array> {
  if (typeof content === "string") {
    const { readBlocks } = await import("./nodeFiles.ts");
    yield* readBlocks(content, size, blockSize);
    return;
  }
  for (let offset = 0; offset < size; offset += blockSize) {
    const end = Math.min(offset + blockSize, size);
    yield content instanceof Uint8Array
      ? content.subarray(offset, end)
      : new Uint8Array(await content.slice(offset, end).arrayBuffer());
  }
}
