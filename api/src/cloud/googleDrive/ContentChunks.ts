// The content of an upload as chunks of a fixed size, read from the stream as
// they are needed (one chunk in memory, never the whole file), hashed (md5
// for Drive's md5Checksum, sha256 for the index) as they are read. Resuming
// after a cut needs the chunk that holds the resume offset: the current one
// in all but odd cases; an offset before it (a new session) reopens the
// content and reads up to it again.
import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { CloudStorageError } from "../CloudStorageError.ts";

export interface Chunk {
  start: number;
  bytes: Buffer;
  /** Reaches the declared size: sending it completes the upload. */
  last: boolean;
}

export class ContentChunks {
  private source!: AsyncIterator<Buffer>;
  private carry: Buffer = Buffer.alloc(0);
  private position = 0; // bytes taken from the source into chunks
  private ended = false;
  private md5!: Hash;
  private sha256!: Hash;
  private current?: Chunk;

  constructor(
    private readonly open: () => Readable,
    private readonly chunkSize: number,
    private readonly size: number,
  ) {
    this.reopen();
  }

  private reopen(): void {
    this.source = (this.open() as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    this.carry = Buffer.alloc(0);
    this.position = 0;
    this.ended = false;
    this.md5 = createHash("md5");
    this.sha256 = createHash("sha256");
    this.current = undefined;
  }

  /** The chunk holding `offset` (or starting at the declared size, for an empty file). */
  async chunkAt(offset: number): Promise<Chunk> {
    if (this.current && offset >= this.current.start && offset < this.current.start + this.current.bytes.length)
      return this.current;
    if (this.current?.last && offset === this.size) return this.current;
    if (offset < this.position) {
      await this.close();
      this.reopen();
    }
    for (;;) {
      const chunk = await this.next();
      if (offset < chunk.start + chunk.bytes.length || chunk.last) return chunk;
    }
  }

  private async next(): Promise<Chunk> {
    const start = this.position;
    const want = Math.min(this.chunkSize, this.size - start);
    const parts: Buffer[] = [this.carry];
    let have = this.carry.length;
    while (have < want && !this.ended) {
      const step = await this.source.next();
      if (step.done) {
        this.ended = true;
        break;
      }
      parts.push(step.value);
      have += step.value.length;
    }
    const joined = Buffer.concat(parts, have);
    const bytes = joined.subarray(0, want);
    this.carry = joined.subarray(want);
    if (bytes.length < want) {
      throw new CloudStorageError(
        "integrity",
        `the content ended after ${start + bytes.length} bytes, ${this.size} declared`,
      );
    }
    this.md5.update(bytes);
    this.sha256.update(bytes);
    this.position += bytes.length;
    const last = this.position === this.size;
    if (last) await this.expectEnd();
    this.current = { start, bytes, last };
    return this.current;
  }

  private async expectEnd(): Promise<void> {
    let extra = this.carry.length;
    while (extra === 0 && !this.ended) {
      const step = await this.source.next();
      if (step.done) this.ended = true;
      else extra += step.value.length;
    }
    if (extra > 0)
      throw new CloudStorageError("integrity", `the content is longer than the ${this.size} bytes declared`);
  }

  /** Valid once the last chunk has been read. */
  digests(): { md5: string; sha256: string } {
    return { md5: this.md5.copy().digest("hex"), sha256: this.sha256.copy().digest("hex") };
  }

  /** Ends the source stream early (a failed upload). */
  async close(): Promise<void> {
    await this.source.return?.();
  }
}
