// The directories of the names a chunk of a transfer made, fsynced once
// each before the chunk's transaction records them (the durability rule of
// docs/protocol.md at one directory fsync per directory per chunk, not one
// per file). Whoever records the names must flush() first.
import { syncDirectoryShared } from "./sharedDirectorySync.ts";

export class DeferredDirectorySyncs {
  private readonly pending = new Set<string>();

  /** A name was made (or found, and may not be durable yet) in `dir`. */
  add(dir: string): void {
    this.pending.add(dir);
  }

  /** Every name added so far durable: each directory fsynced once, concurrently. */
  async flush(): Promise<void> {
    const dirs = [...this.pending];
    this.pending.clear();
    await Promise.all(dirs.map((dir) => syncDirectoryShared(dir)));
  }
}
