// Writing the user's files and the client's own files so that they survive
// a power loss, not only a crash of the process: the client records a
// download as done (its store commits with synchronous=FULL) and reports a
// sync as finished only once what it wrote is on disk. A file's bytes are
// durable once the file is fsynced; a name (created, renamed into place,
// removed) once its directory is fsynced. In the synced folder removals are
// made durable too: a deleted file that came back after a power loss would
// look like a new file to upload.
import { closeSync, fsync as fsyncCallback, open as openCallback, writeFileSync } from "node:fs";
import { copyFile, mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

async function fsyncOpened(target: string, flags: "r" | "r+"): Promise<void> {
  const handle = await open(target, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a file (opened for writing: Windows flushes only a handle that may write). */
export async function syncFile(file: string): Promise<void> {
  await fsyncOpened(file, "r+");
}

/**
 * fsync a directory, which makes the names in it durable. Linux and macOS
 * open a directory read-only for this; Windows cannot open one, and NTFS
 * journals its names itself.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform !== "win32") await fsyncOpened(dir, "r");
}

/**
 * Writes `bytes` (a small file's) to `file`, created or truncated, and
 * fsyncs it: the creation and the fsync run on the thread pool (the kernel
 * spends tens of microseconds creating a file, which the pool overlaps), the
 * write and the close on the event loop, where copying a few KiB into the
 * page cache costs less than a round trip to the pool. The name is not made
 * durable: the caller fsyncs its directory.
 */
export async function writeSmallFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const descriptor = await openDescriptor(file, "w");
  try {
    writeFileSync(descriptor, bytes);
    await fsyncDescriptor(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

const openDescriptor = promisify(openCallback);
const fsyncDescriptor = promisify(fsyncCallback);

/** Renames `from` to `to` and makes the new name durable. `from`'s bytes must be synced before (e.g. `flush: true`). */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(path.dirname(to));
}

/** Copies `source` to `target` through `temporary` (synced, then renamed), so that `target` is whole or absent. */
export async function copyFileDurably(source: string, target: string, temporary: string): Promise<void> {
  try {
    await copyFile(source, temporary);
    await syncFile(temporary);
    await renameDurably(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Removes a file, if it is there, and makes its absence durable. */
export async function removeDurably(file: string): Promise<void> {
  await rm(file, { force: true });
  await syncDirectory(path.dirname(file));
}

/** `mkdir -p` whose new directories are durable: the parent of each one it made is fsynced. */
export async function makeDirectoryDurably(dir: string): Promise<void> {
  const resolved = path.resolve(dir);
  const first = await mkdir(resolved, { recursive: true });
  if (first === undefined) return;
  for (let made = resolved; ; made = path.dirname(made)) {
    await syncDirectory(path.dirname(made));
    if (made === first || path.dirname(made) === made) break;
  }
}
