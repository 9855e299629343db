// Where a download goes in a synced folder: never onto another file's path
// by case or normalization, nor into a case twin of an existing folder.
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/cli/folderScan.ts";
import { downloadPath } from "../../src/cli/nameConflicts.ts";

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
