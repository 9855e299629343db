// What the local cloud knows of the content it placed: the sha256 it checked
// when it wrote an object, and the file's identity then (inode, size,
// modification time). A staged download linked from the object later (the
// inbound transfer) is the same inode: if nothing changed it since (the
// same identity), its bytes are the checked ones and need not be read again
// to be hashed; 32 MiB of a large file cost about 20 ms of the main
// thread's time. Anything that wrote the file since changed its
// modification time, and anything that replaced it changed its inode: the
// bytes are then hashed as before. Kept in memory, for large files only
// (a small file is hashed from one read): after a restart, objects are
// hashed again.
import { statSync, type Stats } from "node:fs";
import { LRUCache } from "lru-cache";

/** Files smaller than this are hashed again rather than remembered. */
export const knownContentMinBytes = 1024 * 1024;

interface KnownContent {
  ino: number;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class KnownContents {
  private readonly known = new LRUCache<string, KnownContent>({ max: 100_000 });

  /** The content just placed at `file`, checked against `sha256`. */
  remember(file: string, sha256: string): void {
    const stats = statSync(file);
    if (stats.size < knownContentMinBytes) return;
    this.known.set(file, { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, sha256 });
  }

  /** The sha256 of the content at `file`, read through `link` (a hard link to it), when it is unchanged since placed. */
  sha256Of(file: string, link: string): string | undefined {
    const known = this.known.get(file);
    if (!known) return undefined;
    let stats: Stats;
    try {
      stats = statSync(link);
    } catch {
      return undefined;
    }
    const same = stats.ino === known.ino && stats.size === known.size && stats.mtimeMs === known.mtimeMs;
    return same ? known.sha256 : undefined;
  }

  /** The object was removed or replaced: what was known of its file no longer holds. */
  forget(file: string): void {
    this.known.delete(file);
  }
}
