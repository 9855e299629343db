// A file moved or renamed in the folder shows in a scan as one path gone and
// one new path with the same content. Taken as a rename, it is uploaded as a
// new version of the same file under its new name (a rename in the
// protocol), not as a deletion and a new file: other devices move it instead
// of deleting it and downloading another, and a rename that changes only
// the case of a name works in one sync.
import type { AddedFile, FolderChanges, ScannedFile } from "./folderScan.ts";

export interface LocalRename extends ScannedFile {
  fileUUID: string;
  from: string;
}

/** The scan's added and deleted files, with the pairs that are renames taken out of both. */
export function findLocalRenames(
  changes: Pick<FolderChanges, "added" | "deleted">,
  sha256Of: (relativePath: string) => string | undefined,
) {
  const gone = [...changes.deleted];
  const renamed: LocalRename[] = [];
  const added: AddedFile[] = [];
  for (const file of changes.added) {
    const { sha256 } = file;
    const source = sha256 === undefined ? -1 : gone.findIndex((deleted) => sha256Of(deleted.relativePath) === sha256);
    const [moved] = source === -1 ? [] : gone.splice(source, 1);
    if (!moved || sha256 === undefined) {
      added.push(file);
      continue;
    }
    renamed.push({ ...file, sha256, fileUUID: moved.fileUUID, from: moved.relativePath });
  }
  return { renamed, added, deleted: gone };
}
