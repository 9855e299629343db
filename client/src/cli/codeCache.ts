// The bundled CLI (dist/smsync-cli/main.cjs), compiled with a V8 code cache:
// the bytecode of the functions a run compiled, kept in the user's cache
// folder, so that the next `smsync` skips parsing and compiling most of its
// 1.7 MB (40-80 ms of each run's CPU: docs/performance.md, "The CLI's
// start, from a code cache"). Node 22 has this built in
// (module.enableCompileCache); on Node 20 it is vm.Script's cachedData,
// written after a run so that it holds what the run compiled lazily too.
//
// The cache is only ever a shortcut: any failure to read, check or write it
// leaves the CLI compiling its source as it would without one. V8 checks a
// cache against its version and flags and the source's length only, so the
// file is named by the sha256 of the source and of the Node version and flags,
// and carries the sha256 of its own bytes (a torn or damaged file is not
// handed to V8, which does not check it in release builds).
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import vm from "node:vm";

/** Where the cache is kept: SMSYNC_CACHE_DIR, else $XDG_CACHE_HOME/smsync (~/.cache/smsync). */
export function cacheFolder(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.SMSYNC_CACHE_DIR) return path.resolve(environment.SMSYNC_CACHE_DIR);
  return path.join(environment.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "smsync");
}

/** What became of the cache when the script was compiled. */
export type CodeCacheUse = "accepted" | "absent" | "damaged" | "rejected";

export interface CachedScript<T> {
  /** The script's `module.exports`. */
  exports: T;
  cache: CodeCacheUse;
  /**
   * Writes the cache of what has been compiled so far, when there was none
   * to use: called once the command has run. Whether it was written.
   */
  saveCache(): boolean;
}

const digestBytes = 32;
const cachePrefix = "cli-";
const cacheSuffix = ".v8-cache";

function sha256(...parts: (string | Buffer)[]): Buffer {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The cache's bytes if the file is there and whole, its state otherwise. */
function readCache(file: string): Buffer | "absent" | "damaged" {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return "absent";
  }
  const payload = bytes.subarray(digestBytes);
  return bytes.length > digestBytes && sha256(payload).equals(bytes.subarray(0, digestBytes)) ? payload : "damaged";
}

/**
 * Written whole or not at all: a reader sees the old file, the new one, or
 * none. The caches of earlier builds go; those of this build under another
 * Node or other flags stay, for the runs that use them.
 */
function writeCache(folder: string, file: string, payload: Buffer, sourceKey: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([sha256(payload), payload]), { mode: 0o600 });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  for (const name of readdirSync(folder)) {
    const earlierBuild = name.startsWith(cachePrefix) && !name.startsWith(`${cachePrefix}${sourceKey}-`);
    if (earlierBuild && !name.endsWith(".tmp")) rmSync(path.join(folder, name), { force: true });
  }
}

/**
 * Runs a CommonJS file as Node's `require` would, compiled with the code
 * cache kept in `folder` (none when `folder` is undefined).
 */
export function runWithCodeCache<T>(file: string, folder: string | undefined): CachedScript<T> {
  const source = readFileSync(file, "utf8");
  const sourceKey = sha256(source).toString("hex").slice(0, 32);
  const runtime = [process.version, process.arch, process.execArgv.join(" "), process.env.NODE_OPTIONS ?? ""];
  const runtimeKey = sha256(runtime.join("\n")).toString("hex").slice(0, 16);
  const cacheFile =
    folder === undefined ? undefined : path.join(folder, `${cachePrefix}${sourceKey}-${runtimeKey}${cacheSuffix}`);
  const read = cacheFile === undefined ? "absent" : readCache(cacheFile);
  // The wrapper Node's CommonJS loader puts around a module, on the source's first line so that line numbers hold.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: typeof read === "string" ? undefined : read,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cache: CodeCacheUse = typeof read === "string" ? read : script.cachedDataRejected ? "rejected" : "accepted";
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} as T };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  let saved = false;
  return {
    exports: module.exports,
    cache,
    saveCache() {
      if (cacheFile === undefined || folder === undefined || cache === "accepted" || saved) return false;
      try {
        writeCache(folder, cacheFile, script.createCachedData(), sourceKey);
        saved = true;
      } catch {
        // A read-only or full disk: the next run compiles the source, as it would without a cache.
      }
      return saved;
    },
  };
}
