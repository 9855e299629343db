// The CLI's record of a synced folder: for each relative path, the fileUUID
// it is synced as and the content last seen. Kept in <folder>/.smsync/
// manifest.json, written to a temporary file, fsynced and renamed (the
// folder fsynced), so a crash or a power loss leaves the old or the new
// manifest, never half of one.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { renameDurably } from "../platform/durableFiles.ts";
import type { Manifest } from "./folderScan.ts";

export class FolderManifest {
  private constructor(
    private readonly file: string,
    readonly entries: Manifest,
  ) {}

  static load(stateDir: string): FolderManifest {
    const file = path.join(stateDir, "manifest.json");
    let entries: Manifest = {};
    try {
      entries = JSON.parse(readFileSync(file, "utf8")) as Manifest;
    } catch (error) {
      // No manifest yet: a folder never synced. An unreadable one is not
      // taken for that, or every file would look new.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    return new FolderManifest(file, entries);
  }

  pathOf(fileUUID: string): string | undefined {
    return Object.entries(this.entries).find(([, entry]) => entry.fileUUID === fileUUID)?.[0];
  }

  async save(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.entries, null, 1), { flush: true });
    await renameDurably(tmp, this.file);
  }
}
