// Where a download goes in a synced folder: never onto another file's path
// by case or normalization, nor into a case twin of an existing folder.
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/cli/folderScan.ts";
import { downloadPath, FolderPaths } from "../../src/cli/nameConflicts.ts";

function manifest(paths: Record<string, string>): Manifest {
  return Object.fromEntries(
    Object.entries(paths).map(([relativePath, fileUUID]) => [
      relativePath,
      { fileUUID, sha256: "0".repeat(64), size: 1, mtimeMs: 0 },
    ]),
  );
}

describe("downloadPath", () => {
  it("takes the file's own path when no other file has it", () => {
    expect(downloadPath(manifest({ "a.txt": "A" }), "B", "b.txt")).toEqual({
      relativePath: "b.txt",
      conflictCopy: false,
    });
    expect(downloadPath(manifest({ "Report.txt": "A" }), "A", "report.txt")).toEqual({
      relativePath: "report.txt",
      conflictCopy: false,
    });
  });

  it("writes a case or normalization twin of another file as its case conflict copy, the same one each time", () => {
    const folder = manifest({ "Report.txt": "A" });
    expect(downloadPath(folder, "B", "report.txt")).toEqual({
      relativePath: "report (case conflict).txt",
      conflictCopy: true,
    });
    expect(
      downloadPath(manifest({ "Report.txt": "A", "report (case conflict).txt": "B" }), "B", "report.txt").relativePath,
    ).toBe("report (case conflict).txt");
    expect(downloadPath(manifest({ "caf\u00e9.txt": "A" }), "B", "cafe\u0301.txt").relativePath).toBe(
      "cafe\u0301 (case conflict).txt",
    );
  });

  it("numbers the copy when its name is taken too, and calls a clash of the exact name a name conflict", () => {
    const folder = manifest({ "Report.txt": "A", "REPORT (CASE CONFLICT).txt": "C" });
    expect(downloadPath(folder, "B", "report.txt").relativePath).toBe("report (case conflict 2).txt");
    expect(downloadPath(manifest({}), "B", "notes.txt", ["notes.txt"]).relativePath).toBe("notes (name conflict).txt");
  });

  it("puts a file into an existing folder spelled in another case", () => {
    expect(downloadPath(manifest({ "Docs/Old/a.txt": "A" }), "B", "docs/old/b.txt")).toEqual({
      relativePath: "Docs/Old/b.txt",
      conflictCopy: false,
    });
    expect(downloadPath(manifest({ "Docs/a.txt": "A" }), "B", "docs/A.TXT")).toEqual({
      relativePath: "Docs/A (case conflict).TXT",
      conflictCopy: true,
    });
  });
});

describe("FolderPaths", () => {
  it("places each file of a group against the files placed and removed before it", () => {
    const paths = new FolderPaths(manifest({ "Report.txt": "A" }), ["notes.txt"]);
    expect(paths.placeDownload("B", "report.txt").relativePath).toBe("report (case conflict).txt");
    paths.remove("Report.txt");
    expect(paths.placeDownload("B", "report.txt")).toEqual({ relativePath: "report.txt", conflictCopy: false });
    paths.add("report.txt", "B");
    expect(paths.placeDownload("C", "REPORT.txt").relativePath).toBe("REPORT (case conflict).txt");
    // A local file not synced keeps its place: removing a file of the manifest does not free it.
    paths.remove("notes.txt");
    expect(paths.placeDownload("B", "notes.txt").relativePath).toBe("notes (name conflict).txt");
  });

  it("spells a folder as its files placed so far do, and forgets a spelling no file uses any more", () => {
    const paths = new FolderPaths(manifest({}));
    paths.add("Docs/a.txt", "A");
    expect(paths.placeDownload("B", "docs/b.txt").relativePath).toBe("Docs/b.txt");
    paths.add("Docs/b.txt", "B");
    paths.remove("Docs/a.txt");
    expect(paths.placeDownload("C", "DOCS/c.txt").relativePath).toBe("Docs/c.txt");
    paths.remove("Docs/b.txt");
    paths.add("docs/d.txt", "D");
    expect(paths.placeDownload("C", "DOCS/c.txt").relativePath).toBe("docs/c.txt");
  });
});
