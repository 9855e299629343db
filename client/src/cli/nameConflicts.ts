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
 * `wanted` with each of its folders spelled as the folder already is in
 * `knownPaths` when they differ only in case (`docs/b.txt` goes into an
 * existing `Docs/`), so that no folder gets a case twin either.
 */
function inKnownFolders(wanted: string, knownPaths: string[]): string {
  const folders = new Map<string, string>();
  for (const known of knownPaths) {
    const parts = known.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      const folder = parts.slice(0, depth).join("/");
      if (!folders.has(cloudFileNameKey(folder))) folders.set(cloudFileNameKey(folder), folder);
    }
  }
  const parts = wanted.split("/");
  let folder = "";
  for (const part of parts.slice(0, -1)) {
    const spelled = folder ? `${folder}/${part}` : part;
    folder = folders.get(cloudFileNameKey(spelled)) ?? spelled;
  }
  return folder ? `${folder}/${parts.at(-1)}` : wanted;
}

/**
 * Where a download of `fileUUID`, whose path is `wanted`, goes in the
 * folder: `wanted` (in the folders as they are spelled here), unless another
 * file of the manifest, or one of the `otherPaths` (local files not synced),
 * has that path by key; then its conflict copy (the same one each time,
 * while the clash lasts).
 */
export function downloadPath(
  manifest: Manifest,
  fileUUID: string,
  wantedPath: string,
  otherPaths: Iterable<string> = [],
): { relativePath: string; conflictCopy: boolean } {
  const others = [
    ...Object.entries(manifest).flatMap(([relativePath, entry]) => (entry.fileUUID === fileUUID ? [] : [relativePath])),
    ...otherPaths,
  ];
  const wanted = inKnownFolders(wantedPath, Object.keys(manifest));
  const taken = new Set(others.map(cloudFileNameKey));
  if (!taken.has(cloudFileNameKey(wanted))) return { relativePath: wanted, conflictCopy: false };
  const label = others.includes(wanted) ? "name conflict" : "case conflict";
  for (let attempt = 1; ; attempt++) {
    const candidate = conflictCopyPath(wanted, label, attempt);
    if (!taken.has(cloudFileNameKey(candidate))) return { relativePath: candidate, conflictCopy: true };
  }
}
