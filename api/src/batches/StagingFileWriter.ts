// Writes the files of a batch upload into staging, each hashed as its bytes
// arrive. A small file is held in memory until its last byte and then
// written, fsynced and closed in the background, a few at once, while the
// next files arrive; a larger one (a delta rebuilding a large file) is
// written as it arrives and fsynced in the background. flush() waits for
// them and makes the files' names durable with one fsync of the directory.
// That is the durability rule of docs/protocol.md ("nothing acknowledged
// before it is durable") at a cost per group of files, not per file.
import { createHash, randomUUID } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { syncPath } from "../durability/durableFiles.ts";
import type { StagingArea } from "../staging/StagingArea.ts";

export interface WrittenFile {
  uploadId: string;
  sha256: string;
  bytes: number;
}

/** A file up to this size is held whole before it is written: one open and one write, off the request's path. */
const heldFileBytes = 1024 * 1024;

/** Files written in the background at once; the next file waits for the oldest (memory stays bounded). */
const writesInFlight = 16;

export class StagingFileWriter {
  private writing: Promise<void>[] = [];

  constructor(private readonly staging: StagingArea) {}

  /** Writes the bytes into a new upload file; its write and fsync are awaited by flush(). */
  async write(bytes: AsyncIterable<Uint8Array>): Promise<WrittenFile> {
    const uploadId = randomUUID().replaceAll("-", "");
    const file = this.staging.uploadPath(uploadId);
    const hash = createHash("sha256");
    let held: Uint8Array[] = [];
    let handle: FileHandle | undefined;
    let written = 0;
    try {
      for await (const piece of bytes) {
        hash.update(piece);
        written += piece.byteLength;
        if (!handle && written <= heldFileBytes) {
          held.push(piece);
          continue;
        }
        if (!handle) {
          handle = await open(file, "w");
          await handle.writeFile(Buffer.concat(held));
          held = [];
        }
        await handle.write(piece);
      }
    } catch (error) {
      await handle?.close();
      throw error;
    }
    await this.track(handle ? syncAndClose(handle) : writeDurably(file, held));
    return { uploadId, sha256: hash.digest("hex"), bytes: written };
  }

  /** A file's write in the background, its failure thrown by flush(); waits while too many are in flight. */
  private async track(writing: Promise<void>): Promise<void> {
    writing.catch(() => undefined); // awaited, and its failure thrown, by flush()
    this.writing.push(writing);
    const oldest = this.writing.length - writesInFlight;
    if (oldest >= 0) await this.writing[oldest]!.catch(() => undefined);
  }

  /** Every file written so far durable: its bytes and its name. */
  async flush(): Promise<void> {
    const writing = this.writing;
    this.writing = [];
    await Promise.all(writing);
    await syncPath(this.staging.uploadsDir);
  }

  /** Waits for the writes in flight, whatever their outcome (before the files are removed). */
  async settle(): Promise<void> {
    const writing = this.writing;
    this.writing = [];
    await Promise.allSettled(writing);
  }
}

async function syncAndClose(handle: FileHandle): Promise<void> {
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(file: string, pieces: Uint8Array[]): Promise<void> {
  const handle = await open(file, "w");
  try {
    await handle.writeFile(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
  } finally {
    await syncAndClose(handle);
  }
}
