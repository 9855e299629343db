// SHA-256 of content as it streams past, so memory stays flat whatever the size.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

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

export function sha256OfFile(file: string): Promise<{ sha256: string; bytes: number }> {
  return sha256OfStream(createReadStream(file));
}
