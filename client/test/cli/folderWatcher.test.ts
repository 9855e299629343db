// The folder watcher on real folders: what a person's edits, an editor's
// saves and large copies hand over, and what they do not.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FolderIgnore } from "../../src/cli/folderIgnore.ts";
import { watchErrorOf, watchFolder, type FolderWatch } from "../../src/cli/folderWatcher.ts";
import { until } from "../support/until.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), "smsync-watch-"));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), content);
  }
  return root;
}

interface Watched {
  batches: Set<string>[];
  errors: Error[];
  watch: FolderWatch;
  /** Every path handed over so far. */
  named(): Set<string>;
  /** Waits until a batch has named `relativePath`. */
  untilNamed(relativePath: string): Promise<void>;
}

async function watched(
  root: string,
  handle: (paths: Set<string>) => Promise<void> = () => Promise.resolve(),
): Promise<Watched> {
  const batches: Set<string>[] = [];
  const errors: Error[] = [];
  const watch = await watchFolder(
    root,
    { ignore: FolderIgnore.load(root) },
    async ({ paths }) => {
      batches.push(paths);
      await handle(paths);
    },
    (error) => errors.push(error),
  );
  cleanups.push(() => watch.close());
  const named = () => new Set(batches.flatMap((batch) => [...batch]));
  return {
    batches,
    errors,
    watch,
    named,
    untilNamed: (relativePath) => until(() => named().has(relativePath), `a batch naming ${relativePath}`),
  };
}

describe("watchFolder", () => {
  it("hands over a file's creation, its change and its deletion", async () => {
    const root = folder({ "docs/keep.txt": "k" });
    const w = await watched(root);
    writeFileSync(path.join(root, "docs/new.txt"), "one");
    await w.untilNamed("docs/new.txt");
    for (const step of [
      () => writeFileSync(path.join(root, "docs/new.txt"), "two"),
      () => rmSync(path.join(root, "docs/new.txt")),
    ]) {
      const before = w.batches.length;
      step();
      await until(() => w.batches.slice(before).some((batch) => batch.has("docs/new.txt")), "the next change");
    }
    expect(w.named()).toEqual(new Set(["docs/new.txt"]));
    expect(w.errors).toEqual([]);
  });

  it("hands over the saved file of an atomic save, not its temporary name", async () => {
    const root = folder({ "f.txt": "before" });
    const w = await watched(root);
    writeFileSync(path.join(root, "f.txt.tmp~"), "after");
    renameSync(path.join(root, "f.txt.tmp~"), path.join(root, "f.txt"));
    await w.untilNamed("f.txt");
    expect(w.named()).toEqual(new Set(["f.txt"]));
  });

  it("hands over a burst of 2,000 files, in a new folder, in a few batches that name them all", async () => {
    const root = folder();
    const w = await watched(root);
    mkdirSync(path.join(root, "burst"));
    const written = Array.from({ length: 2000 }, (_, n) => `burst/file ${n}.txt`);
    for (const relativePath of written) writeFileSync(path.join(root, relativePath), relativePath);
    await until(() => written.every((relativePath) => w.named().has(relativePath)), "every file of the burst");
    expect(w.batches.length).toBeLessThan(200);
  });

  it("hands over the files of a folder moved in, which have no events of their own", async () => {
    const root = folder();
    const outside = folder({ "photos/2026/cat.jpg": "cat", "photos/dog.jpg": "dog", "photos/.dog.jpg.swp": "swap" });
    const w = await watched(root);
    renameSync(path.join(outside, "photos"), path.join(root, "photos"));
    await until(() => w.named().has("photos/2026/cat.jpg") && w.named().has("photos/dog.jpg"), "the moved files");
    expect([...w.named()].sort()).toEqual(["photos", "photos/2026/cat.jpg", "photos/dog.jpg"]);
  });

  it("hands over the files of a folder removed with everything in it, or the folder", async () => {
    const root = folder({ "old/a.txt": "a", "old/sub/b.txt": "b", "kept.txt": "k" });
    const w = await watched(root);
    rmSync(path.join(root, "old"), { recursive: true });
    await until(() => {
      const named = w.named();
      return named.has("old") || (named.has("old/a.txt") && named.has("old/sub/b.txt"));
    }, "the removed folder or its files");
    expect([...w.named()].every((relativePath) => relativePath.startsWith("old"))).toBe(true);
  });

  it("hands over nothing for swap files, the rules' ignored paths or the CLI's state folder", async () => {
    const root = folder({ ".smsync/client.db": "", ".smsyncignore": "build/\n*.log\n" });
    const w = await watched(root);
    writeFileSync(path.join(root, ".notes.txt.swp"), "swap");
    writeFileSync(path.join(root, "4913"), "");
    writeFileSync(path.join(root, ".smsync/client.db"), "state");
    writeFileSync(path.join(root, ".smsync/client.db-wal"), "state");
    mkdirSync(path.join(root, "build/deep"), { recursive: true });
    writeFileSync(path.join(root, "build/deep/out.o"), "object");
    writeFileSync(path.join(root, "run.log"), "log");
    writeFileSync(path.join(root, "download.mp4.partial"), "half");
    // Written last: once it is handed over, whatever came before it would have been.
    writeFileSync(path.join(root, "sentinel.txt"), "s");
    await w.untilNamed("sentinel.txt");
    expect(w.named()).toEqual(new Set(["sentinel.txt"]));
  });

  it("reads the rules again when the ignore file is edited, and hands the edit over for a rescan", async () => {
    const root = folder({ "a.log": "log" });
    const w = await watched(root);
    writeFileSync(path.join(root, ".smsyncignore"), "*.log\n");
    await w.untilNamed(".smsyncignore");
    writeFileSync(path.join(root, "a.log"), "more log");
    writeFileSync(path.join(root, "sentinel.txt"), "s");
    await w.untilNamed("sentinel.txt");
    expect(w.named()).toEqual(new Set([".smsyncignore", "sentinel.txt"]));
  });

  it("never hands over two batches at once: what comes meanwhile waits, and nothing is lost", async () => {
    const root = folder();
    let running = 0;
    let mostAtOnce = 0;
    let release = () => {};
    const firstHandled = new Promise<void>((resolve) => (release = resolve));
    const w = await watched(root, async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await firstHandled;
      // Later batches take a moment too, in which another would overlap.
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
    });
    writeFileSync(path.join(root, "first.txt"), "1");
    await w.untilNamed("first.txt");
    // The first batch is still being handled: these accumulate.
    const later = Array.from({ length: 20 }, (_, n) => `later ${n}.txt`);
    for (const relativePath of later) {
      writeFileSync(path.join(root, relativePath), relativePath);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(w.batches).toHaveLength(1);
    release();
    await until(() => later.every((relativePath) => w.named().has(relativePath)), "the accumulated files");
    expect(mostAtOnce).toBe(1);
  });

  it("hands over nothing once closed", async () => {
    const root = folder();
    const w = await watched(root);
    writeFileSync(path.join(root, "before.txt"), "b");
    await w.untilNamed("before.txt");
    await w.watch.close();
    const handed = w.batches.length;
    writeFileSync(path.join(root, "after.txt"), "a");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(w.batches).toHaveLength(handed);
  });

  it("says so when the watched folder is deleted", async () => {
    const root = folder({ "a.txt": "a" });
    const w = await watched(root);
    rmSync(root, { recursive: true });
    await until(() => w.errors.length > 0, "an error");
    expect(w.errors[0]?.message).toMatch(/was deleted or moved/);
  });

  it("names the paths relative to the folder it was given, a link to the folder too", async () => {
    const real = folder();
    const link = `${real}-link`;
    symlinkSync(real, link);
    cleanups.push(() => rmSync(link));
    const w = await watched(link);
    writeFileSync(path.join(real, "through the link.txt"), "l");
    await w.untilNamed("through the link.txt");
  });

  it("refuses a folder that is not there, saying which", async () => {
    const missing = path.join(folder(), "missing");
    await expect(
      watchFolder(
        missing,
        { ignore: FolderIgnore.load(missing) },
        async () => {},
        () => {},
      ),
    ).rejects.toThrow(missing);
  });

  it("names the sysctl to raise when inotify's limit of watches is reached", () => {
    const error = watchErrorOf("/home/alice/Documents", new Error("inotify_add_watch: No space left on device"));
    expect(error.message).toMatch(/fs\.inotify\.max_user_watches/);
    expect(error.message).toContain("/home/alice/Documents");
  });
});
