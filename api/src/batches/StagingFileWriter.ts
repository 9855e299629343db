// Writes the files of a batch upload into staging, each hashed as its bytes
// arrive. The fsyncs of the files run in the background while the next files
// arrive; flush() waits for them and makes the files' names durable with one
// fsync of the directory. That is the durability rule of docs/protocol.md
// ("nothing acknowledged before it is durable") at a cost per group of files,
// not per file.
import { createHash, randomUUID } from "node:crypto";
import { open } from "node:fs/promises";
import { syncPath } from "../durability/durableFiles.ts";
import type { StagingArea } from "../staging/StagingArea.ts";

export interface WrittenFile {
  uploadId: string;
  sha256: string;
  bytes: number;
}

export class StagingFileWriter {
  private syncing: Promise<void>[] = [];

  constructor(private readonly staging: StagingArea) {}

  /** Writes the bytes into a new upload file; its fsync is awaited by flush(). */
  async write(bytes: AsyncIterable<Uint8Array>): Promise<WrittenFile> {
    const uploadId = randomUUID().replaceAll("-", "");
    const hash = createHash("sha256");
    const handle = await open(this.staging.uploadPath(uploadId), "w");
    let written = 0;
    try {
      for await (const piece of bytes) {
        hash.update(piece);
        await handle.write(piece);
        written += piece.byteLength;
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    const synced = (async () => {
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    })();
    synced.catch(() => undefined); // awaited, and its failure thrown, by flush()
    this.syncing.push(synced);
    return { uploadId, sha256: hash.digest("hex"), bytes: written };
  }

  /** Every file written so far durable: its bytes and its name. */
  async flush(): Promise<void> {
    const syncing = this.syncing;
    this.syncing = [];
    await Promise.all(syncing);
    await syncPath(this.staging.uploadsDir);
  }

  /** Waits for the fsyncs in flight, whatever their outcome (before the files are removed). */
  async settle(): Promise<void> {
    const syncing = this.syncing;
    this.syncing = [];
    await Promise.allSettled(syncing);
  }
}
