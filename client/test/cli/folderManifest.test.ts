// The CLI's manifest of a folder: its index by fileUUID follows every set and
// delete, and any file name is an entry like any other, through a save and a
// load ("constructor", "__proto__").
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FolderManifest } from "../../src/cli/folderManifest.ts";
import { scanFolder, type ManifestEntry } from "../../src/cli/folderScan.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-manifest-"));
  dirs.push(dir);
  return dir;
}

const entry = (fileUUID: string): ManifestEntry => ({ fileUUID, sha256: "0".repeat(64), size: 1, mtimeMs: 1 });

describe("FolderManifest", () => {
  it("finds a file's path by its fileUUID through sets, moves and deletes", () => {
    const manifest = FolderManifest.load(stateDir());
    manifest.set("a.txt", entry("A"));
    manifest.set("b.txt", entry("B"));
    expect([manifest.pathOf("A"), manifest.pathOf("B"), manifest.pathOf("C")]).toEqual(["a.txt", "b.txt", undefined]);
    // Moved: the old path deleted, the new one set.
    manifest.delete("a.txt");
    manifest.set("docs/a.txt", entry("A"));
    expect(manifest.pathOf("A")).toBe("docs/a.txt");
    // A path given to another file.
    manifest.set("b.txt", entry("C"));
    expect([manifest.pathOf("B"), manifest.pathOf("C")]).toEqual([undefined, "b.txt"]);
    manifest.delete("b.txt");
    manifest.delete("never there");
    expect(manifest.pathOf("C")).toBeUndefined();
    expect(Object.keys(manifest.entries)).toEqual(["docs/a.txt"]);
  });

  it("keeps files named like an object's properties, through a save and a load, and a scan sees them", async () => {
    const dir = stateDir();
    const manifest = FolderManifest.load(dir);
    for (const name of ["constructor", "__proto__", "toString"]) manifest.set(name, entry(name));
    await manifest.save();
    const loaded = FolderManifest.load(dir);
    expect(Object.keys(loaded.entries).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(loaded.get("__proto__")).toEqual(entry("__proto__"));
    expect(loaded.pathOf("constructor")).toBe("constructor");
    // Not in the folder (an empty one): all three are deletions, none is taken for a prototype's property.
    const changes = await scanFolder(stateDir(), loaded.entries);
    expect(changes.deleted.map((file) => file.fileUUID).sort()).toEqual(["__proto__", "constructor", "toString"]);
  });

  it("takes saves called together (groups of downloads placed at once) one at a time, the last with every entry", async () => {
    const dir = stateDir();
    const manifest = FolderManifest.load(dir);
    const saves: Promise<void>[] = [];
    for (const name of ["one", "two", "three", "four"]) {
      manifest.set(`${name}.txt`, entry(name));
      saves.push(manifest.save());
    }
    await Promise.all(saves);
    expect(Object.keys(FolderManifest.load(dir).entries).sort()).toEqual([
      "four.txt",
      "one.txt",
      "three.txt",
      "two.txt",
    ]);
    expect(readdirSync(dir)).toEqual(["manifest.json"]);
  });
});
