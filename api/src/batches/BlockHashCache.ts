// The block hashes of file versions (docs/protocol.md, "Changed files as
// deltas"), kept in memory. A version's bytes never change once committed,
// and its key holds its sha256, so an entry never goes stale: the hashes a
// blocks request computed, or those a delta's rebuild took as it wrote the
// new version, answer the next request for that version without reading
// its 32 MiB again (a device sending a change asks for the live version's;
// the devices that then download the new version ask for that one's).
import { createHash, type Hash } from "node:crypto";
import { LRUCache } from "lru-cache";

export interface VersionOfFile {
  userId: string;
  fileUUID: string;
  version: number;
  sha256: string;
}

/** Block hashes kept at most, all versions together (64 bytes each as hex: about 16 MiB of strings). */
const maxBlocks = 256 * 1024;

export class BlockHashCache {
  private readonly cache = new LRUCache<string, string[]>({
    maxSize: maxBlocks,
    sizeCalculation: (blocks) => Math.max(1, blocks.length),
  });

  get(version: VersionOfFile): string[] | undefined {
    return this.cache.get(keyOf(version));
  }

  set(version: VersionOfFile, blocks: string[]): void {
    if (blocks.length <= maxBlocks) this.cache.set(keyOf(version), blocks);
  }
}

function keyOf({ userId, fileUUID, version, sha256 }: VersionOfFile): string {
  return `${userId}/${fileUUID}/${version}/${sha256}`;
}

/** The sha256 of each block of bytes given in pieces of any size, in order. */
export class BlockHasher {
  readonly blocks: string[] = [];
  private hash: Hash = createHash("sha256");
  private inBlock = 0;

  constructor(private readonly blockSize: number) {}

  update(piece: Uint8Array): void {
    let at = 0;
    while (at < piece.byteLength) {
      const take = Math.min(this.blockSize - this.inBlock, piece.byteLength - at);
      this.hash.update(piece.subarray(at, at + take));
      this.inBlock += take;
      at += take;
      if (this.inBlock === this.blockSize) this.endBlock();
    }
  }

  /** The hashes, the last block's included when it is short. */
  finish(): string[] {
    if (this.inBlock > 0) this.endBlock();
    return this.blocks;
  }

  private endBlock(): void {
    this.blocks.push(this.hash.digest("hex"));
    this.hash = createHash("sha256");
    this.inBlock = 0;
  }
}
