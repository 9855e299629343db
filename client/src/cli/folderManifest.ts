// The CLI's record of a synced folder: for each relative path, the fileUUID
// it is synced as and the content last seen. Kept in <folder>/.smsync/
// manifest.json, written to a temporary file, fsynced and renamed (the
// folder fsynced), so a crash or a power loss leaves the old or the new
// manifest, never half of one. Entries change only through set and delete,
// which keep an index by fileUUID: a download asks where its file is, and a
// folder of many files must not be searched once per file.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { renameDurably } from "../platform/durableFiles.ts";
import type { Manifest, ManifestEntry } from "./folderScan.ts";

export class FolderManifest {
  /** The paths of each fileUUID, in the order they were recorded (normally one). */
  private readonly pathsByUUID = new Map<string, Set<string>>();

  private constructor(
    private readonly file: string,
    private readonly records: Manifest,
  ) {
    for (const [relativePath, entry] of Object.entries(records)) this.index(relativePath, entry.fileUUID);
  }

  static load(stateDir: string): FolderManifest {
    const file = path.join(stateDir, "manifest.json");
    // No prototype: a file named "constructor" or "__proto__" is an entry like any other.
    const entries = Object.create(null) as Manifest;
    try {
      Object.assign(entries, JSON.parse(readFileSync(file, "utf8")) as Manifest);
    } catch (error) {
      // No manifest yet: a folder never synced. An unreadable one is not
      // taken for that, or every file would look new.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    return new FolderManifest(file, entries);
  }

  /** Every entry by path; changed only through set and delete. */
  get entries(): Readonly<Manifest> {
    return this.records;
  }

  get(relativePath: string): ManifestEntry | undefined {
    return this.records[relativePath];
  }

  set(relativePath: string, entry: ManifestEntry): void {
    this.delete(relativePath);
    this.records[relativePath] = entry;
    this.index(relativePath, entry.fileUUID);
  }

  delete(relativePath: string): void {
    const entry = this.get(relativePath);
    if (!entry) return;
    delete this.records[relativePath];
    const paths = this.pathsByUUID.get(entry.fileUUID);
    paths?.delete(relativePath);
    if (paths?.size === 0) this.pathsByUUID.delete(entry.fileUUID);
  }

  /** The path the file is synced at (the first recorded, should it have two). */
  pathOf(fileUUID: string): string | undefined {
    return this.pathsByUUID.get(fileUUID)?.values().next().value;
  }

  /**
   * Writes the entries as they are when its turn comes. Saves run one at a
   * time: downloads are placed by groups in flight together (small files'
   * groups beside large files), and two writes at once would share the
   * temporary file, one renaming it away under the other.
   */
  save(): Promise<void> {
    const turn = this.saving.catch(() => undefined).then(() => this.write());
    this.saving = turn;
    return turn;
  }

  private saving: Promise<void> = Promise.resolve();

  private async write(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.records, null, 1), { flush: true });
    await renameDurably(tmp, this.file);
  }

  private index(relativePath: string, fileUUID: string): void {
    const paths = this.pathsByUUID.get(fileUUID);
    if (paths) paths.add(relativePath);
    else this.pathsByUUID.set(fileUUID, new Set([relativePath]));
  }
}
