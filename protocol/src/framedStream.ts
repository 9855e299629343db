// The framing of the batch paths (docs/protocol.md, "Small files in
// batches"): a head, then the files' bytes back to back. The head is the
// decimal byte length of a JSON document, a line feed, and the document; the
// document lists the files in the order their bytes follow, each with its
// size, so the reader knows where each file ends without any escaping.
//
//   <length>\n<JSON head><bytes of file 1><bytes of file 2>...

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The wire form of a head: its length line and its JSON. */
export function encodeFrameHead(head: unknown): Uint8Array<ArrayBuffer> {
  const json = encoder.encode(JSON.stringify(head));
  const line = encoder.encode(`${json.byteLength}\n`);
  const framed = new Uint8Array(line.byteLength + json.byteLength);
  framed.set(line, 0);
  framed.set(json, line.byteLength);
  return framed;
}

/** A stream that breaks the framing: too short, a head that is not a length line and JSON, or too large. */
export class FrameError extends Error {
  override readonly name = "FrameError";
}

/** The longest length line accepted: the digits of the largest head and the line feed. */
const maxLengthLineBytes = 12;

/**
 * Reads a framed stream: the head, then each file's bytes in turn. It pulls
 * from the source only as the caller asks, so a slow consumer (a disk)
 * slows the sender instead of filling memory.
 */
export class FramedStreamReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** The head's JSON, parsed; FrameError if it is malformed or longer than maxHeadBytes. */
  async readHead(maxHeadBytes: number): Promise<unknown> {
    let newline = this.pending.indexOf(0x0a);
    while (newline < 0) {
      if (this.pending.byteLength > maxLengthLineBytes || !(await this.pull())) {
        throw new FrameError("the stream does not start with the head's length and a line feed");
      }
      newline = this.pending.indexOf(0x0a);
    }
    const lengthText = decoder.decode(this.pending.subarray(0, newline));
    if (!/^\d{1,11}$/.test(lengthText)) throw new FrameError("the head's length is not a decimal number");
    const length = Number(lengthText);
    if (length > maxHeadBytes) throw new FrameError(`the head is longer than ${maxHeadBytes} bytes`);
    this.pending = this.pending.subarray(newline + 1);
    const bytes = await this.readExactly(length);
    try {
      return JSON.parse(decoder.decode(bytes)) as unknown;
    } catch {
      throw new FrameError("the head is not JSON in UTF-8");
    }
  }

  /** The next `size` bytes, in the pieces they arrived in; FrameError if the stream ends first. */
  async *readBytes(size: number): AsyncGenerator<Uint8Array> {
    let left = size;
    while (left > 0) {
      if (this.pending.byteLength === 0 && !(await this.pull())) {
        throw new FrameError(`the stream ended ${left} bytes before the end of a file`);
      }
      const piece = this.pending.subarray(0, Math.min(left, this.pending.byteLength));
      this.pending = this.pending.subarray(piece.byteLength);
      left -= piece.byteLength;
      yield piece;
    }
  }

  /** Whether bytes follow the last file read (a sender that sent more than its head lists). */
  async hasMore(): Promise<boolean> {
    return this.pending.byteLength > 0 || (await this.pull());
  }

  /** Reads and drops the rest of the stream; false if more than `limit` bytes were left (then it stops reading). */
  async skipRest(limit: number): Promise<boolean> {
    let left = limit - this.pending.byteLength;
    this.pending = new Uint8Array(0);
    while (left >= 0) {
      if (!(await this.pull())) return true;
      left -= this.pending.byteLength;
      this.pending = new Uint8Array(0);
    }
    return false;
  }

  private async readExactly(size: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(size);
    let offset = 0;
    for await (const piece of this.readBytes(size)) {
      bytes.set(piece, offset);
      offset += piece.byteLength;
    }
    return bytes;
  }

  /** Appends the source's next piece to pending; false at its end. */
  private async pull(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      if (next.value.byteLength === 0) continue;
      if (this.pending.byteLength === 0) {
        this.pending = next.value;
      } else {
        const joined = new Uint8Array(this.pending.byteLength + next.value.byteLength);
        joined.set(this.pending, 0);
        joined.set(next.value, this.pending.byteLength);
        this.pending = joined;
      }
      return true;
    }
    return false;
  }
}
