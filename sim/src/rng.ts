// The simulator's only source of randomness: a seeded PRNG (sfc32), so a
// run is reproduced from its seed. Each run and each step get their own
// stream (fork), so removing a step (shrinking) does not shift the others'.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9;
    this.b = seed >>> 0;
    this.c = (stream * 0x85ebca6b) >>> 0;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.next32();
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next32() / 2 ** 32;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const index = Math.floor(this.float() * items.length);
    if (index >= items.length) throw new RangeError("pick needs at least one item");
    return items[index] as T; // 0 <= index < length
  }

  /** A choice weighted by the numbers of `weights`. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.float() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    // Rounding can leave the roll at 0 after the last weight: the last key.
    const last = entries.at(-1);
    if (!last) throw new RangeError("weighted needs at least one weight");
    return last[0];
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    let i = 0;
    for (; i + 4 <= length; i += 4) out.writeUInt32LE(this.next32(), i);
    for (; i < length; i++) out[i] = this.next32() & 0xff;
    return out;
  }

  /** A UUID (v4 layout) from the stream: file ids are reproducible too. */
  uuid(): string {
    const b = this.bytes(16);
    b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x40, 6);
    b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8);
    const hex = b.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** An independent stream for a sub-part (a run, a step). */
  fork(stream: number): Rng {
    return new Rng(this.next32() ^ Math.imul(stream + 1, 0x9e3779b1), stream);
  }
}
