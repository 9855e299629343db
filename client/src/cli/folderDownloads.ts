// Downloads written into the synced folder, a group at a time (the engine's
// saveDownloads; saveDownload is a group of one). Each file goes where
// nameConflicts.ts says, decided in order, each against the manifest as the
// files before it left it. Nothing is recorded before it is durable: the
// staged files are moved (or, across file systems, copied) to their
// `.smsync-tmp` names and fsynced a few at a time, renamed into place, each
// folder touched fsynced once, and then the manifest is saved once for the
// group (the engine acknowledges the group after that). A small file from a
// batch is written from the bytes in memory; a large download, fsynced
// when it was staged, is not written a second time; a thousand small
// files cost a thousand fsyncs of files, not three thousand fsyncs and a
// thousand rewrites of the manifest.
import { copyFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { cloudNameToPath } from "@smsync/protocol";
import { forEachConcurrently } from "../engine/forEachConcurrently.ts";
import type { DownloadedFile } from "../platform/EnginePlatform.ts";
import { makeDirectoryDurably, syncDirectory, syncFile, writeSmallFileDurably } from "../platform/durableFiles.ts";
import type { FolderManifest } from "./folderManifest.ts";
import type { ManifestEntry } from "./folderScan.ts";
import { FolderPaths } from "./nameConflicts.ts";
import { trustedMtime } from "./racyTimestamps.ts";

export interface DownloadFolder {
  root: string;
  manifest: FolderManifest;
  /** Local paths not synced (names the account refused), with why: a download does not take their place. */
  notSynced: ReadonlyMap<string, string>;
}

/** Where a download went: its path, and whether that is a conflict copy beside the path it wanted. */
export interface WrittenDownload {
  file: DownloadedFile;
  relativePath: string;
  wanted: string;
  conflictCopy: boolean;
  size: number;
}

/** Files written at once: their copies and fsyncs overlap; a few keep the descriptors and the disk queue short. */
const writeConcurrency = 8;

/** Writes the downloaded files into the folder and records them in the manifest, durably, in one manifest save. */
export async function writeDownloads(
  folder: DownloadFolder,
  files: readonly DownloadedFile[],
): Promise<WrittenDownload[]> {
  const { root, manifest } = folder;
  const changes = new ManifestChanges(manifest);
  const paths = new FolderPaths(manifest.entries, folder.notSynced.keys());
  const placed = files.map((file) => {
    const wanted = cloudNameToPath(file.cloudFileName);
    const { relativePath, conflictCopy } = paths.placeDownload(file.fileUUID, wanted);
    // The file may be known under another path (renamed on another device): that path is removed.
    const previousPath = manifest.pathOf(file.fileUUID);
    if (previousPath !== undefined && previousPath !== relativePath) {
      changes.remove(previousPath);
      paths.remove(previousPath);
    }
    // Its place is taken now, for the files after it; the size and time are the file's once it is written.
    changes.record(relativePath, { fileUUID: file.fileUUID, sha256: file.sha256, size: file.size, mtimeMs: 0 });
    paths.add(relativePath, file.fileUUID);
    return { file, relativePath, wanted, conflictCopy, target: path.join(root, relativePath), size: 0, mtimeMs: 0 };
  });
  const touched = new Set<string>();
  try {
    for (const folderPath of new Set(placed.map(({ target }) => path.dirname(target))))
      await makeDirectoryDurably(folderPath);
    for (const previous of changes.removed) {
      await rm(path.join(root, previous), { force: true });
      changes.removedFromDisk(previous);
      touched.add(path.dirname(path.join(root, previous)));
    }
    // On disk before the manifest and the client's store say it is there.
    await forEachConcurrently(placed, writeConcurrency, new AbortController().signal, async ({ file, target }) => {
      if (file.bytes) {
        await writeSmallFileDurably(`${target}.smsync-tmp`, file.bytes);
        return;
      }
      await moveOrCopy(file.path, `${target}.smsync-tmp`);
      await syncFile(`${target}.smsync-tmp`);
    });
    await forEachConcurrently(placed, writeConcurrency, new AbortController().signal, async (placement) => {
      // The file's size and time as written here, before anyone else can change it: a stat after the
      // rename could record an edit made in between as the download, and the scan would never see it.
      const info = await stat(`${placement.target}.smsync-tmp`);
      const lookedAtMs = Date.now();
      await rename(`${placement.target}.smsync-tmp`, placement.target);
      changes.writtenToDisk(placement.relativePath);
      touched.add(path.dirname(placement.target));
      placement.size = info.size;
      placement.mtimeMs = trustedMtime(info.mtimeMs, lookedAtMs);
    });
    for (const folderPath of touched) await syncDirectory(folderPath);
    const written = placed.map(({ file, relativePath, wanted, conflictCopy, size, mtimeMs }) => {
      manifest.set(relativePath, { fileUUID: file.fileUUID, sha256: file.sha256, size, mtimeMs });
      return { file, relativePath, wanted, conflictCopy, size };
    });
    await manifest.save();
    return written;
  } catch (error) {
    await Promise.all(placed.map(({ target }) => rm(`${target}.smsync-tmp`, { force: true })));
    changes.undoWhatIsNotOnDisk();
    throw error;
  }
}

/**
 * The staged download moved to `to` when both are on one file system (the
 * engine's work folder is inside the synced folder's state folder): a large
 * file is not written a second time. Copied otherwise.
 */
async function moveOrCopy(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await copyFile(from, to);
  }
}

/**
 * The manifest changes of a group, undone on a failure as far as the disk
 * was not changed: a path removed from the folder stays out of the manifest
 * (or the next scan would take its absence for a local deletion), a file
 * renamed into place stays in it, and the rest is as it was.
 */
class ManifestChanges {
  private readonly before = new Map<string, ManifestEntry | undefined>();
  private readonly removedPaths = new Set<string>();
  private readonly writtenPaths = new Set<string>();
  readonly removed: string[] = [];

  constructor(private readonly manifest: FolderManifest) {}

  record(relativePath: string, entry: ManifestEntry): void {
    this.remember(relativePath);
    this.manifest.set(relativePath, entry);
  }

  remove(relativePath: string): void {
    this.remember(relativePath);
    this.manifest.delete(relativePath);
    this.removed.push(relativePath);
  }

  removedFromDisk(relativePath: string): void {
    this.removedPaths.add(relativePath);
  }

  writtenToDisk(relativePath: string): void {
    this.writtenPaths.add(relativePath);
  }

  undoWhatIsNotOnDisk(): void {
    for (const [relativePath, entry] of this.before) {
      if (this.writtenPaths.has(relativePath)) continue;
      if (entry && !this.removedPaths.has(relativePath)) this.manifest.set(relativePath, entry);
      else this.manifest.delete(relativePath);
    }
  }

  private remember(relativePath: string): void {
    if (!this.before.has(relativePath)) this.before.set(relativePath, this.manifest.get(relativePath));
  }
}
