import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FolderIgnore } from "../../src/cli/folderIgnore.ts";
import { scanFolder, type Manifest, type ManifestEntry } from "../../src/cli/folderScan.ts";
import { sha256OfFile } from "../../src/platform/hashedCopies.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "smsync-scan-"));
  roots.push(root);
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), content);
  }
  return root;
}

async function manifestOf(root: string): Promise<Manifest> {
  const first = await scanFolder(root, {});
  return Object.fromEntries(
    await Promise.all(
      first.added.map(async (file): Promise<[string, ManifestEntry]> => [
        file.relativePath,
        {
          fileUUID: randomUUID(),
          sha256: await sha256OfFile(path.join(root, file.relativePath), file.size),
          size: file.size,
          mtimeMs: file.mtimeMs,
        },
      ]),
    ),
  );
}

describe("scanFolder", () => {
  it("finds every file of a new folder, in subfolders too, but not the CLI's state or partial files", async () => {
    const root = folder({ "a.txt": "a", "docs/b.md": "b", ".smsync/state.db": "x", "c.bin.partial": "half" });
    const changes = await scanFolder(root, {});
    expect(changes.added.map((file) => file.relativePath)).toEqual(["a.txt", "docs/b.md"]);
    // No file was deleted, so none of them can be a rename: their hashes come from the copies that queue them.
    expect(changes.added.map((file) => file.sha256)).toEqual([undefined, undefined]);
  });

  it("hashes a new file when a deleted file of its size could be its old name, and only then", async () => {
    const root = folder({ "old name.txt": "moved", "other.txt": "a longer text" });
    const manifest = await manifestOf(root);
    rmSync(path.join(root, "old name.txt"));
    writeFileSync(path.join(root, "new name.txt"), "moved");
    writeFileSync(path.join(root, "same size.txt"), "fives");
    writeFileSync(path.join(root, "larger.txt"), "no deleted file is this long");
    const changes = await scanFolder(root, manifest);
    expect(Object.fromEntries(changes.added.map((file) => [file.relativePath, file.sha256]))).toEqual({
      "larger.txt": undefined,
      "new name.txt": manifest["old name.txt"]?.sha256,
      "same size.txt": "cca00fd88d774fe5aee1be5ca1a1561b1672892011d8f48da6cc2c202181c5f9",
    });
  });

  it("tells changed, deleted and unchanged files apart by content", async () => {
    const root = folder({ "keep.txt": "same", "edit.txt": "before", "gone.txt": "bye" });
    const manifest = await manifestOf(root);
    writeFileSync(path.join(root, "edit.txt"), "after");
    rmSync(path.join(root, "gone.txt"));
    writeFileSync(path.join(root, "new.txt"), "hello");
    const changes = await scanFolder(root, manifest);
    expect(changes.added.map((f) => f.relativePath)).toEqual(["new.txt"]);
    expect(changes.changed.map((f) => [f.relativePath, f.fileUUID])).toEqual([
      ["edit.txt", manifest["edit.txt"]?.fileUUID],
    ]);
    expect(changes.deleted).toEqual([{ relativePath: "gone.txt", fileUUID: manifest["gone.txt"]?.fileUUID }]);
    expect(changes.unchanged.map((f) => f.relativePath)).toEqual(["keep.txt"]);
  });

  it("does not call a file changed when only its modification time moved", async () => {
    const root = folder({ "touched.txt": "same content" });
    const manifest = await manifestOf(root);
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, "touched.txt"), later, later);
    const changes = await scanFolder(root, manifest);
    expect(changes.changed).toEqual([]);
    expect(changes.unchanged.map((f) => f.relativePath)).toEqual(["touched.txt"]);
  });

  it("takes files named like an object's properties for files like any other", async () => {
    const root = folder({ constructor: "c", toString: "t" });
    const changes = await scanFolder(root, {});
    expect(changes.added.map((file) => file.relativePath)).toEqual(["constructor", "toString"]);
    expect(changes.changed).toEqual([]);
  });

  it("leaves out what the folder's ignore file and the default rules name, and does not read ignored folders", async () => {
    const root = folder({
      ".smsyncignore": "build/\n*.log\n!keep.log\n",
      "main.c": "int main;",
      "build/out.o": "object",
      "src/build/deep/x.o": "object",
      "run.log": "log",
      "logs/keep.log": "kept",
      ".main.c.swp": "swap",
      "~$report.docx": "lock",
      ".DS_Store": "finder",
    });
    const changes = await scanFolder(root, {});
    expect(changes.added.map((file) => file.relativePath)).toEqual(["logs/keep.log", "main.c"]);
    // An ignored folder is not read at all: nothing inside it is even looked at.
    const rules = FolderIgnore.load(root);
    const asked: string[] = [];
    const ignores = rules.ignores.bind(rules);
    rules.ignores = (relativePath, isDirectory) => (asked.push(relativePath), ignores(relativePath, isDirectory));
    await scanFolder(root, {}, rules);
    expect(asked).toContain("src/build");
    expect(
      asked.filter((relativePath) => relativePath.startsWith("build/") || relativePath.includes("/build/")),
    ).toEqual([]);
  });

  it("neither changes nor deletes a synced file whose path has become ignored: it is no longer synced from here", async () => {
    const root = folder({ "app.log": "one", "cache/a.bin": "a", "kept.txt": "kept" });
    const manifest = await manifestOf(root);
    writeFileSync(path.join(root, ".smsyncignore"), "*.log\ncache/\n");
    writeFileSync(path.join(root, "app.log"), "one, then two");
    rmSync(path.join(root, "cache"), { recursive: true });
    const changes = await scanFolder(root, manifest);
    expect(changes).toMatchObject({ added: [], changed: [], deleted: [] });
    expect(changes.ignored.sort()).toEqual(["app.log", "cache/a.bin"]);
    expect(changes.unchanged.map((file) => file.relativePath)).toEqual(["kept.txt"]);
  });

  it("takes a file or folder deleted while it scans for gone, without failing (the folder is in use)", async () => {
    const root = folder({ "a.txt": "a", "b.txt": "b", "sub/c.txt": "c", "sub/d.txt": "d" });
    const manifest = await manifestOf(root);
    // The rules are asked of each path as it is listed: a deletion made then lands between the listing and the stat.
    const rules = FolderIgnore.fromText(root, "");
    const deleting = Object.assign(Object.create(rules) as FolderIgnore, {
      ignores(relativePath: string, isDirectory: boolean) {
        if (relativePath === "a.txt") rmSync(path.join(root, "b.txt"));
        if (relativePath === "sub") rmSync(path.join(root, "sub"), { recursive: true });
        return rules.ignores(relativePath, isDirectory);
      },
    });
    const changes = await scanFolder(root, manifest, deleting);
    expect(changes.deleted.map((file) => file.relativePath).sort()).toEqual(["b.txt", "sub/c.txt", "sub/d.txt"]);
    expect(changes.unchanged.map((file) => file.relativePath)).toEqual(["a.txt"]);
  });

  it("takes the rules it is given instead of reading the folder's", async () => {
    const root = folder({ ".smsyncignore": "*.txt\n", "a.txt": "a", "b.md": "b" });
    expect((await scanFolder(root, {})).added.map((file) => file.relativePath)).toEqual(["b.md"]);
    const given = FolderIgnore.fromText(root, "*.md\n");
    expect((await scanFolder(root, {}, given)).added.map((file) => file.relativePath)).toEqual(["a.txt"]);
  });
});
