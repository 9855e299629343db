// The sha256 of each tus upload's bytes, taken as they are written and
// carried in memory from one PATCH to the next, so that the last-byte check
// (LastByteCheck.ts) need not read a large upload back from the disk: that
// read was a second pass over every byte, on the main thread, at the end of
// each upload.
//
// A hash is only ever continued from the offset it covers: a PATCH that
// failed or was cut (its bytes partly on the disk), an upload given back, a
// write on another instance or before a restart all leave no hash at the
// upload's offset, and the check then reads the file as before.
import { createHash, type Hash } from "node:crypto";

interface RunningHash {
  hash: Hash;
  /** The bytes it covers: the upload's first `offset`. */
  offset: number;
}

/** Uploads whose hash is kept at once: beyond it the oldest is dropped (its check reads its file). */
const defaultLimit = 4096;

export class RunningHashes {
  private readonly hashes = new Map<string, RunningHash>();

  constructor(private readonly limit = defaultLimit) {}

  /**
   * The hash of the upload's first `offset` bytes, to go on with as a write
   * at `offset` brings more; undefined when it is not known. Taken out:
   * `record` puts it back once the write has ended well.
   */
  resume(uploadId: string, offset: number): Hash | undefined {
    const running = this.hashes.get(uploadId);
    this.hashes.delete(uploadId);
    if (offset === 0) return createHash("sha256");
    return running?.offset === offset ? running.hash : undefined;
  }

  /** The hash of the upload's first `offset` bytes, all of them on the disk. */
  record(uploadId: string, hash: Hash, offset: number): void {
    this.hashes.set(uploadId, { hash, offset });
    if (this.hashes.size > this.limit) this.hashes.delete(this.hashes.keys().next().value!);
  }

  /** The sha256 (hex) of the upload's `size` bytes when the hash covers all of them; the upload is forgotten. */
  finish(uploadId: string, size: number): string | undefined {
    const running = this.hashes.get(uploadId);
    this.hashes.delete(uploadId);
    return running?.offset === size ? running.hash.digest("hex") : undefined;
  }

  forget(uploadId: string): void {
    this.hashes.delete(uploadId);
  }
}
