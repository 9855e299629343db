// The folders the sync benchmark syncs: files of random content (nothing to
// gain from compression or identical files), written in 1 MiB pieces so that
// no large file is ever whole in memory.
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeSync } from "node:fs";
import path from "node:path";

const pieceBytes = 1024 * 1024;

export interface FolderSpec {
  files: number;
  bytesEach: number;
}

/** Writes `files` files of `bytesEach` random bytes into a new folder `dir`. */
export function writeFolder(dir: string, spec: FolderSpec): void {
  mkdirSync(dir, { recursive: true });
  const digits = String(spec.files - 1).length;
  for (let index = 0; index < spec.files; index++) {
    const fd = openSync(path.join(dir, `file-${String(index).padStart(digits, "0")}.bin`), "w");
    try {
      for (let written = 0; written < spec.bytesEach; written += pieceBytes) {
        writeSync(fd, randomBytes(Math.min(pieceBytes, spec.bytesEach - written)));
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Files and bytes below `dir`, leaving out the CLI's own state folder. */
export function folderTotals(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    if (path.relative(dir, full).split(path.sep)[0] === ".smsync") continue;
    files++;
    bytes += statSync(full).size;
  }
  return { files, bytes };
}
