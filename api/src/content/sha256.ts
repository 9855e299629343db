// SHA-256 of content as it streams past, so memory stays flat whatever the size.
import { createHash, type Hash } from "node:crypto";
import { open } from "node:fs/promises";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { readSmallFileSync } from "./smallFileReads.ts";

export class HashingStream extends PassThrough {
  private readonly hash: Hash = createHash("sha256");
  bytes = 0;

  constructor() {
    super();
    this.on("data", (chunk: Buffer) => {
      this.hash.update(chunk);
      this.bytes += chunk.length;
    });
  }

  /** Valid once the stream has ended. */
  digest(): string {
    return this.hash.digest("hex");
  }
}

export async function sha256OfStream(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  await pipeline(stream, async function (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  return { sha256: hash.digest("hex"), bytes };
}

/** Bytes a file is read by at first when hashed (a small file fits), then once it is larger. */
const firstReadBytes = 64 * 1024;
const laterReadBytes = 1024 * 1024;

/**
 * The file's SHA-256. A small one (up to firstReadBytes) is read with
 * synchronous calls (smallFileReads.ts). A larger one is read through one
 * descriptor, not a stream, a megabyte at a time, since each read is a round
 * trip to the thread pool (64 KiB reads held a gigabyte's hash to some
 * 16,000 of them, one after another).
 */
export async function sha256OfFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const small = readSmallFileSync(file, firstReadBytes);
  if (small) return { sha256: createHash("sha256").update(small).digest("hex"), bytes: small.byteLength };
  const handle = await open(file, "r");
  try {
    const hash = createHash("sha256");
    let buffer = Buffer.allocUnsafe(firstReadBytes);
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return { sha256: hash.digest("hex"), bytes };
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
      if (bytesRead === buffer.length && buffer.length < laterReadBytes) buffer = Buffer.allocUnsafe(laterReadBytes);
    }
  } finally {
    await handle.close();
  }
}
