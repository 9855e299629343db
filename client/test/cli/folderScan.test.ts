import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scanFolder, type Manifest } from "../../src/cli/folderScan.ts";

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
    first.added.map((file) => [
      file.relativePath,
      { fileUUID: randomUUID(), sha256: file.sha256, size: file.size, mtimeMs: file.mtimeMs },
    ]),
  );
}

describe("scanFolder", () => {
  it("finds every file of a new folder, in subfolders too, but not the CLI's state or partial files", async () => {
    const root = folder({ "a.txt": "a", "docs/b.md": "b", ".smsync/state.db": "x", "c.bin.partial": "half" });
    const changes = await scanFolder(root, {});
    expect(changes.added.map((file) => file.relativePath)).toEqual(["a.txt", "docs/b.md"]);
    expect(changes.added[0]?.sha256).toBe("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
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
});
