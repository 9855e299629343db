// The vitest globalSetup of the api, client and sim test runs (each
// workspace's test/support/globalSetup.ts names its entries):
// - the processes the tests start again and again are bundled once for the
//   run (processBundles.ts);
// - the run's temporary files (os.tmpdir(): every test server's data
//   directory and SQLite database, the clients' stores and folders) go to
//   tmpfs (/dev/shm) when the machine has one and TMPDIR is not set, as the
//   simulator's runs do (sim/src/workRoot.ts): every commit there is fsynced
//   (synchronous=FULL), which on a disk costs time and nothing the tests
//   check (the durability tests check the order of the calls, by strace).
//   The run's folder is removed after it, with whatever a test left behind.
// A run that was killed leaves its folders: the next run removes those more
// than a day old (a run takes minutes; tmpfs holds them in memory).
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { buildProcessBundles, bundleDirVariable, rootModules } from "./processBundles.ts";

const tmpfs = "/dev/shm";
const staleAfterMs = 24 * 3600 * 1000;

/** Removes the folders of earlier runs in `parent` (named `prefix`...) left more than a day ago. */
function removeStale(parent: string, prefix: string): void {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(parent, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs > staleAfterMs) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by its own run.
    }
  }
}

function tmpfsAvailable(): boolean {
  try {
    accessSync(tmpfs, constants.W_OK);
    return statSync(tmpfs).isDirectory();
  } catch {
    return false;
  }
}

/** `bundles`: the entry points (absolute paths) the run's tests start as processes. */
export function testRunSetup(bundles: string[]) {
  return async ({ config }: { config: { watch: boolean } }): Promise<() => void> => {
    const cleanups: (() => void)[] = [];
    if (!process.env.TMPDIR && tmpfsAvailable()) {
      removeStale(tmpfs, "smsync-test-run-");
      const dir = mkdtempSync(path.join(tmpfs, "smsync-test-run-"));
      process.env.TMPDIR = dir;
      cleanups.push(() => {
        delete process.env.TMPDIR;
        rmSync(dir, { recursive: true, force: true });
      });
    }
    // In watch mode the sources change under the run: the processes then load them through tsx.
    if (bundles.length > 0 && !config.watch && !process.env[bundleDirVariable]) {
      const parent = path.join(rootModules, ".cache", "smsync-test-bundles");
      mkdirSync(parent, { recursive: true });
      removeStale(parent, "run-");
      const dir = mkdtempSync(path.join(parent, "run-"));
      cleanups.push(() => {
        delete process.env[bundleDirVariable];
        rmSync(dir, { recursive: true, force: true });
      });
      await buildProcessBundles(bundles, dir);
      process.env[bundleDirVariable] = dir;
    }
    return () => {
      for (const cleanup of cleanups.reverse()) cleanup();
    };
  };
}
