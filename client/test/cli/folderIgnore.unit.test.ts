import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FolderIgnore } from "../../src/cli/folderIgnore.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function folderWith(ignoreFile: string | undefined): string {
  const root = mkdtempSync(path.join(tmpdir(), "smsync-ignore-"));
  roots.push(root);
  if (ignoreFile !== undefined) writeFileSync(path.join(root, ".smsyncignore"), ignoreFile);
  return root;
}

/** The paths of `paths` that the rules ignore (a trailing "/" marks a folder). */
function ignoredOf(rules: FolderIgnore, paths: string[]): string[] {
  return paths.filter((p) => rules.ignores(p.replace(/\/$/, ""), p.endsWith("/")));
}

describe("FolderIgnore", () => {
  it("ignores editors' swap, backup and lock files and systems' litter by default, in any folder", () => {
    const rules = FolderIgnore.load(folderWith(undefined));
    const litter = [
      "notes.txt.swp",
      "docs/.notes.txt.swp",
      ".notes.txt.swo",
      "a.swx",
      "report.doc~",
      "f.tmp~",
      ".#draft.org",
      "#draft.org#",
      "4913",
      "deep/folder/4913",
      ".~lock.budget.ods#",
      "~$budget.docx",
      "movie.mp4.crdownload",
      "iso.part",
      ".DS_Store",
      "photos/Thumbs.db",
      "photos/thumbs.db",
      "desktop.ini",
      "$RECYCLE.BIN/",
    ];
    expect(ignoredOf(rules, litter)).toEqual(litter);
    const content = ["notes.txt", "swap.txt", "#hashtag.md", "partial.txt", "lock.ods", "budget$.xlsx", "4913.txt"];
    expect(ignoredOf(rules, content)).toEqual([]);
  });

  it("always leaves out the CLI's own files and the ignore file, whatever the rules say", () => {
    const rules = FolderIgnore.load(folderWith("!.smsync\n!.smsync/\n!*.partial\n!*.smsync-tmp\n!.smsyncignore\n"));
    const own = [".smsync/", ".smsync/client.db", "video.mp4.partial", "docs/a.txt.smsync-tmp", ".smsyncignore"];
    expect(ignoredOf(rules, own)).toEqual(own);
    // The state folder and the ignore file are the root's: the same names deeper are files like any other.
    expect(ignoredOf(rules, ["sub/.smsync/", "sub/.smsync/x", "sub/.smsyncignore"])).toEqual([]);
  });

  // Each case: the folder's ignore file, the paths it ignores, the paths it keeps (a trailing "/" marks a folder).
  it.each([
    {
      rules: "reads the folder's rules after the defaults, so that a negation takes a default back",
      file: "# comment\n*.log\n!keep.log\n!*.part\n",
      ignored: ["a.log", "logs/b.log", "x.swp"],
      kept: ["keep.log", "download.part"],
    },
    {
      rules: "applies a folder rule to folders only (not to a file of that name), and to everything inside them",
      file: "build/\nnode_modules/\n",
      ignored: ["build/", "build/out.js", "src/build/", "src/build/x/y.js", "node_modules/a/b.js"],
      kept: ["build", "src/build", "builder/", "rebuild/x"],
    },
    {
      rules: "anchors a pattern with a slash to the root",
      file: "/todo.txt\ndocs/*.pdf\n/cache/\n",
      ignored: ["todo.txt", "cache/", "cache/a", "docs/a.pdf"],
      kept: ["docs/sub/b.pdf", "notes/todo.txt", "sub/cache/", "sub/docs/a.pdf"],
    },
    {
      rules: "matches nested paths with ** and ignores case, as the folder's paths are compared",
      file: "**/tmp/**\nsecret*.txt\n",
      ignored: ["tmp/a", "a/b/tmp/c/d", "Secret-plan.TXT", "a/secret.txt"],
      kept: ["tmpfile"],
    },
  ])("$rules", ({ file, ignored, kept }) => {
    const rules = FolderIgnore.load(folderWith(file));
    expect(ignoredOf(rules, [...ignored, ...kept])).toEqual(ignored);
  });

  it('takes names that look like relative paths ("...") for names', () => {
    const rules = FolderIgnore.load(folderWith(undefined));
    expect(ignoredOf(rules, ["...", "..foo", "a/..."])).toEqual([]);
  });

  it("reads an edited ignore file again on reload", () => {
    const root = folderWith("*.log\n");
    const rules = FolderIgnore.load(root);
    expect(rules.ignores("a.log", false)).toBe(true);
    writeFileSync(path.join(root, ".smsyncignore"), "*.tmp\n");
    rules.reload();
    expect([rules.ignores("a.log", false), rules.ignores("a.tmp", false)]).toEqual([false, true]);
    rmSync(path.join(root, ".smsyncignore"));
    rules.reload();
    expect(rules.ignores("a.tmp", false)).toBe(false);
  });

  it("refuses an ignore file it cannot read, rather than syncing what it names", () => {
    const root = folderWith(undefined);
    // A folder where the file should be: reading it fails, and not with "no such file".
    mkdirSync(path.join(root, ".smsyncignore"));
    expect(() => FolderIgnore.load(root)).toThrow(/EISDIR/);
  });
});
