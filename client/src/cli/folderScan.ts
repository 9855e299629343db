// The command line client's view of a local folder: which files are new,
// changed or deleted since the last sync, by content hash. A file whose
// size and modification time match the last scan is not hashed again;
// the others are hashed a few at a time. A new file is hashed only when a
// deleted file of its size could be its old name (localRenames.ts): else
// its hash comes from the copy that queues its upload, which reads it
// anyway (a large file read once instead of twice).
import { statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { forEachConcurrently } from "../engine/forEachConcurrently.ts";
import { sha256OfFile } from "../platform/hashedCopies.ts";

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
}

/** The folder where the CLI keeps its own state; never synced. */
export const stateFolderName = ".smsync";

async function listFiles(root: string, relative = ""): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (relative === "" && entry.name === stateFolderName) continue;
    // Partial downloads and editors' temporary files are not content.
    if (entry.name.endsWith(".partial") || entry.name.endsWith(".smsync-tmp")) continue;
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child)));
    else if (entry.isFile()) files.push(child);
  }
  return files;
}

/** The manifest's entry of a path (own keys only: a file may be named "constructor"). */
function knownAt(manifest: Readonly<Manifest>, relativePath: string): ManifestEntry | undefined {
  return Object.hasOwn(manifest, relativePath) ? manifest[relativePath] : undefined;
}

/** Files hashed at once: small files cost opens and reads that overlap. */
const hashConcurrency = 8;

export async function scanFolder(root: string, manifest: Readonly<Manifest>): Promise<FolderChanges> {
  const changes: FolderChanges = { added: [], changed: [], deleted: [], unchanged: [] };
  const relativePaths = await listFiles(root);
  const seen = new Set(relativePaths);
  // A rename keeps the size: a new file of no deleted file's size is no rename.
  const deletedSizes = new Set(
    Object.entries(manifest)
      .filter(([relativePath]) => !seen.has(relativePath))
      .map(([, entry]) => entry.size),
  );
  // Every file is stat'ed, and most are unchanged: synchronous stats of a thousand files take a few milliseconds,
  // against several times that as promises through the thread pool (each sync scans twice).
  const scanned: ScannedFile[] = [];
  const toHash: { file: ScannedFile; fullPath: string }[] = [];
  for (const relativePath of relativePaths) {
    const fullPath = path.join(root, relativePath);
    const info = statSync(fullPath);
    const known = knownAt(manifest, relativePath);
    const sameStat = known && known.size === info.size && known.mtimeMs === info.mtimeMs;
    const file = { relativePath, sha256: sameStat ? known.sha256 : "", size: info.size, mtimeMs: info.mtimeMs };
    scanned.push(file);
    if (!sameStat && (known || deletedSizes.has(info.size))) toHash.push({ file, fullPath });
  }
  await forEachConcurrently(toHash, hashConcurrency, new AbortController().signal, async ({ file, fullPath }) => {
    file.sha256 = await sha256OfFile(fullPath, file.size);
  });
  for (const file of scanned) {
    const known = knownAt(manifest, file.relativePath);
    if (!known) changes.added.push({ ...file, sha256: file.sha256 || undefined });
    else if (known.sha256 !== file.sha256) changes.changed.push({ ...file, fileUUID: known.fileUUID });
    else changes.unchanged.push({ ...file, fileUUID: known.fileUUID });
  }
  for (const [relativePath, entry] of Object.entries(manifest)) {
    if (!seen.has(relativePath)) changes.deleted.push({ relativePath, fileUUID: entry.fileUUID });
  }
  return changes;
}
