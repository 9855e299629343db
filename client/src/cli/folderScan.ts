// The command line client's view of a local folder: which files are new,
// changed or deleted since the last sync, by content hash. A file whose
// size and modification time match the last scan is not hashed again;
// the others are hashed a few at a time. A new file is hashed only when a
// deleted file of its size could be its old name (localRenames.ts): else
// its hash comes from the copy that queues its upload, which reads it
// anyway (a large file read once instead of twice). Paths the folder's
// rules ignore (folderIgnore.ts) are skipped, ignored folders not even
// read; a synced file whose path has become ignored is no longer synced
// from here, but is not deleted elsewhere either.
import { statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { forEachConcurrently } from "../engine/forEachConcurrently.ts";
import { sha256OfFile } from "../platform/hashedCopies.ts";
import { FolderIgnore } from "./folderIgnore.ts";

export { stateFolderName } from "./folderIgnore.ts";

/** What the last sync recorded of one file, by its path relative to the folder (with "/"). */
export interface ManifestEntry {
  fileUUID: string;
  sha256: string;
  size: number;
  mtimeMs: number;
}

export type Manifest = Record<string, ManifestEntry>;

export interface ScannedFile {
  relativePath: string;
  sha256: string;
  size: number;
  mtimeMs: number;
  /** When the file last changed in any way (written, renamed into place): how recent a change is (settling.ts). */
  ctimeMs: number;
}

/** A new file: its sha256 is known only when the scan needed it (a deleted file of its size). */
export interface AddedFile extends Omit<ScannedFile, "sha256"> {
  sha256: string | undefined;
}

export interface FolderChanges {
  added: AddedFile[];
  changed: (ScannedFile & { fileUUID: string })[];
  deleted: { relativePath: string; fileUUID: string }[];
  unchanged: (ScannedFile & { fileUUID: string })[];
  /** Synced files whose paths the rules now ignore: neither changed nor deleted, just no longer synced from here. */
  ignored: string[];
  /** When the scan began (Date.now()): no file was looked at before, so a time older than that by a tick can be trusted (racyTimestamps.ts). */
  startedAtMs: number;
}

/** The files of the folder below `relative` (the whole folder by default) that the rules do not ignore, by relative path. */
export async function listFiles(root: string, ignore: FolderIgnore, relative = ""): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(root, relative), { withFileTypes: true });
  } catch (error) {
    // A subfolder deleted while the scan runs (the folder is in use: `smsync watch`) holds nothing; the root must be there.
    if (relative !== "" && isGone(error)) return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    const isDirectory = entry.isDirectory();
    if ((!isDirectory && !entry.isFile()) || ignore.ignores(child, isDirectory)) continue;
    if (isDirectory) files.push(...(await listFiles(root, ignore, child)));
    else files.push(child);
  }
  return files;
}

/** The manifest's entry of a path (own keys only: a file may be named "constructor"). */
function knownAt(manifest: Readonly<Manifest>, relativePath: string): ManifestEntry | undefined {
  return Object.hasOwn(manifest, relativePath) ? manifest[relativePath] : undefined;
}

/** Files hashed at once: small files cost opens and reads that overlap. */
const hashConcurrency = 8;

/** `ignore`: the folder's rules (by default read from its `.smsyncignore` now). */
export async function scanFolder(
  root: string,
  manifest: Readonly<Manifest>,
  ignore: FolderIgnore = FolderIgnore.load(root),
): Promise<FolderChanges> {
  const changes: FolderChanges = {
    added: [],
    changed: [],
    deleted: [],
    unchanged: [],
    ignored: [],
    startedAtMs: Date.now(),
  };
  // Every file is stat'ed, and most are unchanged: synchronous stats of a thousand files take a few milliseconds,
  // against several times that as promises through the thread pool (each sync scans twice). A file deleted
  // since it was listed is not there.
  const listed = (await listFiles(root, ignore)).flatMap((relativePath) => {
    const info = statSync(path.join(root, relativePath), { throwIfNoEntry: false });
    return info ? [{ relativePath, info }] : [];
  });
  const seen = new Set(listed.map(({ relativePath }) => relativePath));
  const gone: [string, ManifestEntry][] = [];
  for (const [relativePath, entry] of Object.entries(manifest)) {
    if (seen.has(relativePath)) continue;
    if (ignore.ignores(relativePath, false)) changes.ignored.push(relativePath);
    else gone.push([relativePath, entry]);
  }
  // A rename keeps the size: a new file of no deleted file's size is no rename.
  const deletedSizes = new Set(gone.map(([, entry]) => entry.size));
  const scanned: ScannedFile[] = [];
  const toHash: { file: ScannedFile; fullPath: string }[] = [];
  for (const { relativePath, info } of listed) {
    const fullPath = path.join(root, relativePath);
    const known = knownAt(manifest, relativePath);
    const sameStat = known && known.size === info.size && known.mtimeMs === info.mtimeMs;
    const file = {
      relativePath,
      sha256: sameStat ? known.sha256 : "",
      size: info.size,
      mtimeMs: info.mtimeMs,
      ctimeMs: info.ctimeMs,
    };
    scanned.push(file);
    if (!sameStat && (known || deletedSizes.has(info.size))) toHash.push({ file, fullPath });
  }
  const vanished = new Set<ScannedFile>();
  await forEachConcurrently(toHash, hashConcurrency, new AbortController().signal, async ({ file, fullPath }) => {
    try {
      file.sha256 = await sha256OfFile(fullPath, file.size);
    } catch (error) {
      if (!isGone(error)) throw error;
      vanished.add(file);
    }
  });
  for (const file of scanned) {
    const known = knownAt(manifest, file.relativePath);
    if (vanished.has(file)) {
      if (known) gone.push([file.relativePath, known]);
      continue;
    }
    if (!known) changes.added.push({ ...file, sha256: file.sha256 || undefined });
    else if (known.sha256 !== file.sha256) changes.changed.push({ ...file, fileUUID: known.fileUUID });
    else changes.unchanged.push({ ...file, fileUUID: known.fileUUID });
  }
  for (const [relativePath, entry] of gone) changes.deleted.push({ relativePath, fileUUID: entry.fileUUID });
  return changes;
}

/** An error saying the path is no longer there (or a folder on it is now a file). */
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
