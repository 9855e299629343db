// Writing files so that they survive a power loss, not only a crash of the
// process: what the server acknowledges (an HTTP answer, a GraphQL answer,
// an event) must be on disk first. A file's bytes are durable once the file
// is fsynced; a new name (a file created, renamed into place, a directory
// made) or a removal once its directory is fsynced. Removals in staging are
// not made durable: what reappears after a power loss is no longer
// referenced by the database, and the staging sweeper removes it. The
// local cloud's removals are (an object that came back would be an orphan
// in the user's drive).
import { closeSync, fsyncSync, mkdirSync, openSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/** fsync a file or a directory (a directory is opened read-only, which Linux allows to fsync). */
export async function syncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames `from` to `to` and makes the new name durable. The bytes must be synced before (e.g. `flush: true`). */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncPath(path.dirname(to));
}

/** Removes a file, if it is there, and makes its absence durable. */
export async function removeDurably(file: string): Promise<void> {
  await rm(file, { force: true });
  await syncPath(path.dirname(file));
}

/** The directories `mkdir -p` made, from the first it created down to `dir`. */
function madeDirectories(first: string | undefined, dir: string): string[] {
  if (first === undefined) return [];
  const made: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    made.unshift(current);
    if (current === first || path.dirname(current) === current) return made;
  }
}

/** `mkdir -p` whose new directories are durable: the parent of each one it made is fsynced. */
export async function makeDirectoryDurably(dir: string): Promise<void> {
  const resolved = path.resolve(dir);
  for (const made of madeDirectories(await mkdir(resolved, { recursive: true }), resolved))
    await syncPath(path.dirname(made));
}

/** makeDirectoryDurably for code that runs before the server starts (constructors). */
export function makeDirectoryDurablySync(dir: string): void {
  const resolved = path.resolve(dir);
  for (const made of madeDirectories(mkdirSync(resolved, { recursive: true }), resolved)) {
    const descriptor = openSync(path.dirname(made), "r");
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  }
}
