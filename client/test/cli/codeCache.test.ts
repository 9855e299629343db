// The V8 code cache the built CLI is compiled with (src/cli/codeCache.ts): a
// CommonJS file run as require would run it, its cache written once and used
// after, and every way a cache can be wrong leaving the script to compile
// from its source. Whether V8 takes a cache is seen in a process of its own:
// within one, V8 keeps what it compiled and would not read the cache again.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheFolder, runWithCodeCache, type CodeCacheUse } from "../../src/cli/codeCache.ts";
import { sourceNodeOptions } from "@smsync/testkit";

let dir: string;
let script: string;
let folder: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "smsync-code-cache-"));
  script = path.join(dir, "script.cjs");
  folder = path.join(dir, "cache");
  writeScript(41);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Exports {
  answer(): number;
  whereAmI: string;
  parseUrl: string;
}

function writeScript(base: number): void {
  writeFileSync(
    script,
    [
      `const path = require("node:path");`,
      `exports.answer = () => ${base} + 1;`,
      `exports.whereAmI = path.basename(__dirname) + "/" + path.basename(__filename);`,
      `module.exports.parseUrl = new URL("x", "file:///a/").href;`,
    ].join("\n"),
  );
}

const codeCacheModule = pathToFileURL(path.resolve(import.meta.dirname, "../../src/cli/codeCache.ts")).href;

/** The script run in a new process: what became of the cache, the script's answer, and whether the cache was written. */
function runInNewProcess(nodeOptions: string[] = []): { cache: CodeCacheUse; answer: number; saved: boolean } {
  const runner = [
    `const { runWithCodeCache } = await import(${JSON.stringify(codeCacheModule)});`,
    `const run = runWithCodeCache(${JSON.stringify(script)}, ${JSON.stringify(folder)});`,
    `const answer = run.exports.answer();`,
    `console.log(JSON.stringify({ cache: run.cache, answer, saved: run.saveCache() }));`,
  ].join("\n");
  const output = execFileSync(
    process.execPath,
    [...nodeOptions, ...sourceNodeOptions, "--input-type=module", "-e", runner],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(output) as { cache: CodeCacheUse; answer: number; saved: boolean };
}

function cacheFiles(): string[] {
  return readdirSync(folder);
}

describe("runWithCodeCache", () => {
  it("runs the file as CommonJS, with require, module, exports, __filename and __dirname", () => {
    const run = runWithCodeCache<Exports>(script, folder);
    expect(run.exports.answer()).toBe(42);
    expect(run.exports.whereAmI).toBe(`${path.basename(dir)}/script.cjs`);
    expect(run.exports.parseUrl).toBe("file:///a/x");
  });

  it("writes the cache once, private to the user, and compiles from it after", () => {
    expect(runInNewProcess()).toEqual({ cache: "absent", answer: 42, saved: true });
    expect(cacheFiles()).toHaveLength(1);
    expect(statSync(path.join(folder, cacheFiles()[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    // An accepted cache is not written again.
    expect(runInNewProcess()).toEqual({ cache: "accepted", answer: 42, saved: false });
  });

  it("writes the cache once in a process", () => {
    const run = runWithCodeCache<Exports>(script, folder);
    expect(run.saveCache()).toBe(true);
    expect(run.saveCache()).toBe(false);
  });

  it("gives a changed script a cache of its own (V8 itself compares only the length) and removes the old one", () => {
    runInNewProcess();
    const [before] = cacheFiles();
    writeScript(14); // the same length as 41
    expect(runInNewProcess()).toEqual({ cache: "absent", answer: 15, saved: true });
    expect(cacheFiles()).toHaveLength(1);
    expect(cacheFiles()[0]).not.toBe(before);
    expect(runInNewProcess()).toEqual({ cache: "accepted", answer: 15, saved: false });
  });

  it("keeps this build's cache for each set of Node's flags, and drops the earlier builds' ones", () => {
    runInNewProcess();
    expect(runInNewProcess(["--max-old-space-size=300"])).toEqual({ cache: "absent", answer: 42, saved: true });
    expect(cacheFiles()).toHaveLength(2);
    expect(runInNewProcess()).toEqual({ cache: "accepted", answer: 42, saved: false });
    expect(runInNewProcess(["--max-old-space-size=300"])).toMatchObject({ cache: "accepted" });
    writeScript(14);
    runInNewProcess();
    expect(cacheFiles()).toHaveLength(1);
  });

  it("does not hand V8 a damaged file: the script compiles from its source and the cache is written again", () => {
    runInNewProcess();
    const file = path.join(folder, cacheFiles()[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(file, bytes);
    expect(runInNewProcess()).toEqual({ cache: "damaged", answer: 42, saved: true });
    expect(runInNewProcess()).toEqual({ cache: "accepted", answer: 42, saved: false });
    writeFileSync(file, bytes.subarray(0, 20));
    expect(runInNewProcess()).toEqual({ cache: "damaged", answer: 42, saved: true });
  });

  it("says when V8 refuses a whole file (another V8's cache), and replaces it", () => {
    runInNewProcess();
    const file = path.join(folder, cacheFiles()[0]!);
    // A file whose own checksum holds but whose bytes are not a cache V8 takes.
    const payload = Buffer.alloc(256, 7);
    writeFileSync(file, Buffer.concat([createHash("sha256").update(payload).digest(), payload]));
    expect(runInNewProcess()).toEqual({ cache: "rejected", answer: 42, saved: true });
    expect(runInNewProcess()).toEqual({ cache: "accepted", answer: 42, saved: false });
  });

  it("runs without a cache where none can be written", () => {
    writeFileSync(folder, "a file where the folder would be");
    const run = runWithCodeCache<Exports>(script, folder);
    expect(run.exports.answer()).toBe(42);
    expect(run.saveCache()).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)("runs without a cache in a folder it cannot write", () => {
    runWithCodeCache<Exports>(script, folder).saveCache();
    rmSync(path.join(folder, cacheFiles()[0]!));
    chmodSync(folder, 0o500);
    const run = runWithCodeCache<Exports>(script, folder);
    expect(run.saveCache()).toBe(false);
    expect(cacheFiles()).toEqual([]);
  });

  it("runs without a cache when given no folder", () => {
    const run = runWithCodeCache<Exports>(script, undefined);
    expect(run.cache).toBe("absent");
    expect(run.saveCache()).toBe(false);
  });
});

describe("cacheFolder", () => {
  it("is SMSYNC_CACHE_DIR, else smsync in XDG_CACHE_HOME, else ~/.cache/smsync", () => {
    expect(cacheFolder({ SMSYNC_CACHE_DIR: "/var/cache/x", XDG_CACHE_HOME: "/c" })).toBe("/var/cache/x");
    expect(cacheFolder({ XDG_CACHE_HOME: "/c" })).toBe("/c/smsync");
    expect(cacheFolder({})).toMatch(/\/\.cache\/smsync$/);
  });
});
