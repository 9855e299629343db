// Two files of a synced folder never have paths that differ only in case or
// Unicode normalization, whatever the disk: on macOS and Windows such paths
// are one file, so writing the second would overwrite the first. Paths are
// compared as cloud file names are (@smsync/protocol: NFC, case folded).
// Case twins can still come from the server (files made before the server
// compared names this way); the second one is written beside the first as a
// conflict copy, so no file is lost. The rule holds on every disk, so a
// folder synced on Linux can be copied to a Mac as it is.
import path from "node:path";
import { cloudFileNameKey } from "@smsync/protocol";
import type { Manifest } from "./folderScan.ts";

/** `report.txt` → `report (case conflict).txt`, then `report (case conflict 2).txt`... */
function conflictCopyPath(wanted: string, label: string, attempt: number): string {
  const { dir, name, ext } = path.posix.parse(wanted);
  return path.posix.join(dir, `${name} (${label}${attempt > 1 ? ` ${attempt}` : ""})${ext}`);
}

/**
 * The paths of a folder's files by key, and its folders' spellings, kept up
 * to date as files are placed and removed, so that placing each file of a
 * group of downloads costs a few lookups, not a pass over the whole folder.
 */
export class FolderPaths {
  /** Paths by key, each with its fileUUID (null: a local file not synced). */
  private readonly byKey = new Map<string, { path: string; fileUUID: string | null }[]>();
  /** Each folder's spellings by key, with the count of files under each; the first one still used is the folder's. */
  private readonly folders = new Map<string, Map<string, number>>();

  /** The manifest's paths, and `otherPaths`, local files not synced: no download takes their place either. */
  constructor(manifest: Readonly<Manifest>, otherPaths: Iterable<string> = []) {
    for (const [relativePath, entry] of Object.entries(manifest)) this.add(relativePath, entry.fileUUID);
    for (const relativePath of otherPaths) this.entriesOf(relativePath).push({ path: relativePath, fileUUID: null });
  }

  /** A file of the manifest at `relativePath` (replacing the one there, if any). */
  add(relativePath: string, fileUUID: string): void {
    this.remove(relativePath);
    this.entriesOf(relativePath).push({ path: relativePath, fileUUID });
    for (const folder of foldersOf(relativePath)) {
      const spellings = this.folders.get(cloudFileNameKey(folder)) ?? new Map<string, number>();
      spellings.set(folder, (spellings.get(folder) ?? 0) + 1);
      this.folders.set(cloudFileNameKey(folder), spellings);
    }
  }

  /** The manifest's file at `relativePath` is gone. */
  remove(relativePath: string): void {
    const entries = this.pathsLike(relativePath);
    const at = entries.findIndex((entry) => entry.path === relativePath && entry.fileUUID !== null);
    if (at === -1) return;
    entries.splice(at, 1);
    for (const folder of foldersOf(relativePath)) {
      const spellings = this.folders.get(cloudFileNameKey(folder))!;
      const count = spellings.get(folder)! - 1;
      if (count > 0) spellings.set(folder, count);
      else spellings.delete(folder);
    }
  }

  /**
   * Where a download of `fileUUID`, whose path is `wantedPath`, goes:
   * `wantedPath` (in the folders as they are spelled here), unless another
   * file has that path by key; then its conflict copy (the same one each
   * time, while the clash lasts).
   */
  placeDownload(fileUUID: string, wantedPath: string): { relativePath: string; conflictCopy: boolean } {
    const wanted = this.inKnownFolders(wantedPath);
    const takenByOther = (candidate: string) => this.entriesOf(candidate).some((entry) => entry.fileUUID !== fileUUID);
    if (!takenByOther(wanted)) return { relativePath: wanted, conflictCopy: false };
    const sameName = this.entriesOf(wanted).some((entry) => entry.path === wanted && entry.fileUUID !== fileUUID);
    const label = sameName ? "name conflict" : "case conflict";
    for (let attempt = 1; ; attempt++) {
      const candidate = conflictCopyPath(wanted, label, attempt);
      if (!takenByOther(candidate)) return { relativePath: candidate, conflictCopy: true };
    }
  }

  /**
   * `wanted` with each of its folders spelled as the folder already is here
   * when they differ only in case (`docs/b.txt` goes into an existing
   * `Docs/`), so that no folder gets a case twin either.
   */
  private inKnownFolders(wanted: string): string {
    const parts = wanted.split("/");
    let folder = "";
    for (const part of parts.slice(0, -1)) {
      const spelled = folder ? `${folder}/${part}` : part;
      folder = this.folders.get(cloudFileNameKey(spelled))?.keys().next().value ?? spelled;
    }
    return folder ? `${folder}/${parts.at(-1)}` : wanted;
  }

  /** The paths with the key of `relativePath`. */
  private pathsLike(relativePath: string) {
    return this.byKey.get(cloudFileNameKey(relativePath)) ?? [];
  }

  private entriesOf(relativePath: string) {
    const key = cloudFileNameKey(relativePath);
    let entries = this.byKey.get(key);
    if (!entries) this.byKey.set(key, (entries = []));
    return entries;
  }
}

/** `a/b/c.txt` → `a`, `a/b`. */
function foldersOf(relativePath: string): string[] {
  const parts = relativePath.split("/");
  return parts.slice(1).map((_, depth) => parts.slice(0, depth + 1).join("/"));
}

/** Where one download goes (FolderPaths.placeDownload, for a folder read once). */
export function downloadPath(
  manifest: Readonly<Manifest>,
  fileUUID: string,
  wantedPath: string,
  otherPaths: Iterable<string> = [],
): { relativePath: string; conflictCopy: boolean } {
  return new FolderPaths(manifest, otherPaths).placeDownload(fileUUID, wantedPath);
}
