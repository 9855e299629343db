// What an upload reads its bytes from, as tus-js-client's FileReader: a
// file path (Node), bytes in memory (Buffer/Uint8Array), or a Blob/File
// (browser; in Node read slice by slice). Each PATCH reads one slice by
// offset, so an upload resumed at any offset, even by a new process, reads
// only what it still has to send, and a file is never read whole into memory.
import type { FileReader as TusFileReader, FileSource as TusFileSource, SliceResult } from "tus-js-client";
import { promised } from "../promised.ts";
import { LocalSourceError } from "./LocalSourceError.ts";

export { LocalSourceError };

/** The content of an upload. A string is a file path (Node only). */
export type UploadContent = string | Uint8Array | Blob;

const inNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/** The size of the content, in bytes. */
export async function sourceSize(source: UploadContent): Promise<number> {
  if (typeof source === "string") {
    const { statPath } = await import("./nodeFiles.ts");
    return (await statPath(source)).size;
  }
  if (source instanceof Uint8Array) return source.byteLength;
  return source.size;
}

/**
 * tus-js-client's FileReader for UploadContent. `onStreamError` hears of a
 * failure while a slice of a file is being sent (tus-js-client would wait
 * forever for the rest of a body that never comes): the uploader stops the
 * upload with it.
 */
export class UploadSourceReader implements TusFileReader {
  constructor(private readonly onStreamError: (error: LocalSourceError) => void) {}

  async openFile(input: unknown): Promise<TusFileSource> {
    if (typeof input === "string") {
      const { openPathSource } = await import("./nodeFiles.ts");
      return openPathSource(input, this.onStreamError);
    }
    if (input instanceof Uint8Array) return bytesSource(input);
    if (typeof Blob !== "undefined" && input instanceof Blob) return blobSource(input);
    throw new LocalSourceError("an upload's content must be a file path, a Uint8Array (Buffer) or a Blob");
  }
}

function bytesSource(input: Uint8Array): TusFileSource {
  // A Buffer over the same memory: Node's HTTP stack writes Uint8Arrays, and no bytes are copied.
  const bytes = inNode ? Buffer.from(input.buffer, input.byteOffset, input.byteLength) : input;
  return {
    size: bytes.byteLength,
    slice(start: number, end: number): Promise<SliceResult> {
      return promised(() => {
        const value = bytes.subarray(start, Math.min(end, bytes.byteLength));
        // tus-js-client takes a body's length from `size` (and Node's stack sets Content-Length from it).
        return { value: Object.assign(value, { size: value.byteLength }), done: end >= bytes.byteLength };
      });
    },
    close() {},
  };
}

function blobSource(blob: Blob): TusFileSource {
  return {
    size: blob.size,
    async slice(start: number, end: number): Promise<SliceResult> {
      const part = blob.slice(start, Math.min(end, blob.size));
      const done = end >= blob.size;
      if (!inNode) return { value: part, done };
      // Node's HTTP stack sends Buffers and streams, not Blobs: one slice (at most chunkSize) in memory.
      const bytes = Buffer.from(await part.arrayBuffer());
      return { value: Object.assign(bytes, { size: bytes.byteLength }), done };
    },
    close() {},
  };
}
