// The CLI writing a group of downloads into its folder: where each goes, one
// manifest save for the group, and after a failure a manifest that says what
// the disk holds (a path removed stays out of it, a file not written is not
// in it) with no temporary file left behind.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeDownloads } from "../../src/cli/folderDownloads.ts";
import { FolderManifest } from "../../src/cli/folderManifest.ts";
import { scanFolder } from "../../src/cli/folderScan.ts";
import type { DownloadedFile } from "../../src/platform/EnginePlatform.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder() {
  const base = mkdtempSync(path.join(tmpdir(), "smsync-downloads-"));
  dirs.push(base);
  const root = path.join(base, "folder");
  const stateDir = path.join(root, ".smsync");
  mkdirSync(stateDir, { recursive: true });
  mkdirSync(path.join(base, "staged"));
  return { base, root, stateDir };
}

/** A staged download of `content` (null: its staging file is missing, so writing it fails). */
function staged(base: string, fileUUID: string, cloudFileName: string, content: string | null): DownloadedFile {
  const file = path.join(base, "staged", fileUUID);
  if (content !== null) writeFileSync(file, content);
  return {
    fileUUID,
    version: 1,
    cloudFileName,
    mimeType: "text/plain",
    appMetaData: null,
    sha256: sha256Hex(Buffer.from(content ?? "")),
    size: content?.length ?? 0,
    path: file,
  };
}

const onDisk = (root: string) =>
  readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((name) => !name.startsWith(".smsync"))
    .sort();

describe("writeDownloads", () => {
  it("writes a group, moving a renamed file, and saves the manifest once with every file", async () => {
    const { base, root, stateDir } = folder();
    const manifest = FolderManifest.load(stateDir);
    writeFileSync(path.join(root, "old.txt"), "v0");
    manifest.set("old.txt", { fileUUID: "A", sha256: sha256Hex(Buffer.from("v0")), size: 2, mtimeMs: 0 });
    const written = await writeDownloads({ root, manifest, notSynced: new Map([["taken.txt", "refused"]]) }, [
      staged(base, "A", "new.txt", "v1"),
      staged(base, "B", "docs%2Fb.txt", "b"),
      staged(base, "C", "Taken.txt", "c"),
    ]);
    expect(written.map(({ relativePath, conflictCopy }) => [relativePath, conflictCopy])).toEqual([
      ["new.txt", false],
      ["docs/b.txt", false],
      ["Taken (case conflict).txt", true],
    ]);
    expect(onDisk(root)).toEqual(["Taken (case conflict).txt", "docs", "docs/b.txt", "new.txt"]);
    expect(readFileSync(path.join(root, "new.txt"), "utf8")).toBe("v1");
    const saved = FolderManifest.load(stateDir);
    expect(Object.keys(saved.entries).sort()).toEqual(["Taken (case conflict).txt", "docs/b.txt", "new.txt"]);
    expect(saved.pathOf("A")).toBe("new.txt");
  });

  it("after a file of the group fails: the renamed file's old path stays out of the manifest, nothing else changes, no temporary file is left", async () => {
    const { base, root, stateDir } = folder();
    const manifest = FolderManifest.load(stateDir);
    writeFileSync(path.join(root, "old.txt"), "v0");
    writeFileSync(path.join(root, "kept.txt"), "k");
    const kept = { fileUUID: "K", sha256: sha256Hex(Buffer.from("k")), size: 1, mtimeMs: 0 };
    manifest.set("old.txt", { fileUUID: "A", sha256: sha256Hex(Buffer.from("v0")), size: 2, mtimeMs: 0 });
    manifest.set("kept.txt", kept);
    await manifest.save();

    const failed = writeDownloads({ root, manifest, notSynced: new Map() }, [
      staged(base, "A", "new.txt", "v1"),
      staged(base, "B", "b.txt", null),
      staged(base, "K", "kept.txt", "k2"),
    ]);
    await expect(failed).rejects.toMatchObject({ code: "ENOENT" });
    // old.txt was removed before the copies: the manifest says so, or the next scan would take it for deleted here.
    expect(onDisk(root)).toEqual(["kept.txt"]);
    expect(manifest.entries).toEqual({ "kept.txt": kept });
    expect([manifest.pathOf("A"), manifest.pathOf("B"), manifest.pathOf("K")]).toEqual([
      undefined,
      undefined,
      "kept.txt",
    ]);
    // Nothing of the group was saved.
    expect(Object.keys(FolderManifest.load(stateDir).entries).sort()).toEqual(["kept.txt", "old.txt"]);
  });

  it("records no time a later edit could carry too: an edit of the same size, stamped with the download's time, is found by the next scan", async () => {
    const { base, root, stateDir } = folder();
    const manifest = FolderManifest.load(stateDir);
    const download = staged(base, "A", "note.txt", "from the server");
    // A time a file system could stamp on an edit made right after the download is put in place (the same tick).
    const stamp = new Date((Math.floor(Date.now() / 1000) + 60) * 1000); // whole seconds: exact in every unit
    utimesSync(download.path, stamp, stamp);
    await writeDownloads({ root, manifest, notSynced: new Map() }, [download]);
    expect(statSync(path.join(root, "note.txt")).mtimeMs).toBe(stamp.getTime());

    writeFileSync(path.join(root, "note.txt"), "edited just now"); // the same size
    utimesSync(path.join(root, "note.txt"), stamp, stamp);
    const scanned = await scanFolder(root, FolderManifest.load(stateDir).entries);
    expect(scanned.changed.map((file) => file.relativePath)).toEqual(["note.txt"]);
  });
});
