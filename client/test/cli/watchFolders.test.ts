// `smsync watch`, run as a person or a service manager would: two watch
// processes on two folders of one account, against the server as a process
// of its own (restarted under them), one of them through a proxy that cuts
// its network. Whatever is done in one folder reaches the other with no one
// running a sync.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, ProcessServer, startCuttingProxy, type CuttingProxy } from "@smsync/testkit";
import { runCli } from "../support/cliProcess.ts";
import { bytesOf, contents } from "../support/folderContents.ts";
import { WatchProcess } from "../support/watchProcess.ts";

let server: ProcessServer;
let proxy: CuttingProxy;
let home: string;
const running: WatchProcess[] = [];

beforeAll(async () => {
  server = await ProcessServer.create();
  await server.start({ SMSYNC_TRANSFER_CLAIM_SECONDS: "1" });
  proxy = await startCuttingProxy(server.port);
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-watch-"));
}, 120_000);
afterEach(async () => {
  for (const watch of running.splice(0)) await watch.stop("SIGKILL");
  proxy.refuse(false);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

interface Pair {
  a: string;
  b: string;
  configA: string;
  configB: string;
}

let pairs = 0;

/** Two devices of a new account, logged in (A through the proxy when asked), and their empty folders. */
async function devicePair(options: { aThroughProxy?: boolean } = {}): Promise<Pair> {
  const id = ++pairs;
  const first = await server.newUser();
  const second = await server.newDevice(first.userName);
  const pair = {
    a: path.join(home, `${id}-a`),
    b: path.join(home, `${id}-b`),
    configA: path.join(home, `${id}-a.json`),
    configB: path.join(home, `${id}-b.json`),
  };
  mkdirSync(pair.a);
  mkdirSync(pair.b);
  const aServer = options.aThroughProxy ? proxy.url : server.url;
  const loginA = await runCli(pair.configA, ["login", "--server", aServer, "--token", first.client.token!]);
  const loginB = await runCli(pair.configB, ["login", "--server", server.url, "--token", second.client.token!]);
  expect(loginA.code, loginA.stderr).toBe(0);
  expect(loginB.code, loginB.stderr).toBe(0);
  return pair;
}

function watch(config: string, dir: string, ...args: string[]): WatchProcess {
  const process = new WatchProcess(config, dir, args);
  running.push(process);
  return process;
}

/** The sizes of the files under the server's staging folder. */
function stagedSizes(dir: string): number[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return []; // a folder of it removed while it was read: the next look sees it
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(path.join(entry.parentPath, entry.name), { throwIfNoEntry: false })?.size ?? 0);
}

/** `smsync watch` on both folders of the pair (with each side's own options), once both are ready. */
async function watchBoth(pair: Pair, args: { a?: string[]; b?: string[] } = {}) {
  const a = watch(pair.configA, pair.a, ...(args.a ?? []));
  const b = watch(pair.configB, pair.b, ...(args.b ?? []));
  await Promise.all([a.ready(), b.ready()]);
  return { a, b };
}

/** How two folders differ: the paths only one holds, and those whose bytes differ (a few of each). */
function difference(a: Record<string, string>, b: Record<string, string>) {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const few = (list: string[]) => ({ count: list.length, first: list.slice(0, 5) });
  return {
    onlyA: few(names.filter((name) => !(name in b))),
    onlyB: few(names.filter((name) => !(name in a))),
    differ: few(names.filter((name) => name in a && name in b && a[name] !== b[name])),
  };
}

/** Waits until both folders hold the same files with the same bytes, and returns them. */
async function converged(pair: Pair, timeoutMs = 60_000) {
  let folders = { a: bytesOf(pair.a), b: bytesOf(pair.b) };
  await eventually(
    "the two folders hold the same files",
    () => {
      folders = { a: bytesOf(pair.a), b: bytesOf(pair.b) };
      return Promise.resolve(difference(folders.a, folders.b));
    },
    ({ onlyA, onlyB, differ }) => onlyA.count + onlyB.count + differ.count === 0,
    timeoutMs,
  );
  return folders;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("smsync watch", () => {
  it("keeps two folders in sync both ways: create, modify, delete, rename, atomic save, bursts, a deleted folder", async () => {
    const pair = await devicePair();
    writeFileSync(path.join(pair.a, "before.txt"), "written before the watch\n");
    const { a, b } = await watchBoth(pair);
    await converged(pair);
    expect(contents(pair.b)).toEqual({ "before.txt": "written before the watch\n" });

    writeFileSync(path.join(pair.a, "todo.txt"), "buy milk\n");
    mkdirSync(path.join(pair.b, "notes"));
    writeFileSync(path.join(pair.b, "notes", "idea.md"), "# idea\n");
    await converged(pair);
    expect(contents(pair.a)).toMatchObject({ "todo.txt": "buy milk\n", "notes/idea.md": "# idea\n" });

    writeFileSync(path.join(pair.b, "todo.txt"), "buy milk\nand bread\n");
    rmSync(path.join(pair.a, "before.txt"));
    renameSync(path.join(pair.a, "notes", "idea.md"), path.join(pair.a, "notes", "plan.md"));
    await converged(pair);
    expect(contents(pair.b)).toEqual({ "todo.txt": "buy milk\nand bread\n", "notes/plan.md": "# idea\n" });
    // A rename goes up as one: a new version under the new name, not a deletion and a new file.
    expect(a.events).toContainEqual(
      expect.objectContaining({ event: "uploading", path: "notes/plan.md", from: "notes/idea.md" }),
    );
    // Also when the folder changes again a moment later (its time, which times the deletion, moves on).
    renameSync(path.join(pair.a, "notes", "plan.md"), path.join(pair.a, "notes", "ideas.md"));
    await sleep(60);
    writeFileSync(path.join(pair.a, "notes", "more.md"), "# more\n");
    await converged(pair);
    expect(a.events).toContainEqual(
      expect.objectContaining({ event: "uploading", path: "notes/ideas.md", from: "notes/plan.md" }),
    );

    // An editor's atomic save: a temporary file written, then renamed over the file.
    writeFileSync(path.join(pair.a, ".todo.txt.swp"), "vim's swap file");
    writeFileSync(path.join(pair.a, "todo.txt.tmp~"), "saved by an editor\n");
    renameSync(path.join(pair.a, "todo.txt.tmp~"), path.join(pair.a, "todo.txt"));
    rmSync(path.join(pair.a, ".todo.txt.swp"));
    await converged(pair);
    expect(contents(pair.b)["todo.txt"]).toBe("saved by an editor\n");
    const uploadedNames = a.events.filter((event) => event.event === "uploading").map((event) => event.path);
    expect(uploadedNames).not.toContain("todo.txt.tmp~");
    expect(uploadedNames).not.toContain(".todo.txt.swp");
    expect(a.events.filter((event) => event.event === "deleting").map((event) => event.path)).not.toContain("todo.txt");

    // A burst of 2,000 files on each side.
    for (const [dir, name] of [
      [pair.a, "burst-a"],
      [pair.b, "burst-b"],
    ] as const) {
      mkdirSync(path.join(dir, name));
      for (let i = 0; i < 2000; i++) writeFileSync(path.join(dir, name, `f${i}.txt`), `${name} ${i}\n`);
    }
    const burst = await converged(pair, 120_000);
    expect(Object.keys(burst.a).filter((name) => name.startsWith("burst-"))).toHaveLength(4000);

    // A folder deleted with everything in it.
    rmSync(path.join(pair.b, "burst-a"), { recursive: true });
    const after = await converged(pair);
    expect(Object.keys(after.a).filter((name) => name.startsWith("burst-a/"))).toEqual([]);
    expect(Object.keys(after.a).filter((name) => name.startsWith("burst-b/"))).toHaveLength(2000);

    // Neither watcher stopped on its own through all of it (a failed scan is retried, not fatal).
    expect([...a.events, ...b.events].filter((event) => event.event === "stopped")).toEqual([]);
    // SIGTERM stops it cleanly, with its totals.
    expect(await a.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(a.events.at(-1)).toMatchObject({ event: "stopped", ok: true });
  }, 300_000);

  it("settles a change made on both sides at once as a conflict, by the folder's policy", async () => {
    const pair = await devicePair();
    writeFileSync(path.join(pair.a, "shared.txt"), "the first version\n");
    const { a, b } = await watchBoth(pair, { a: ["--conflict", "keep-both"], b: ["--conflict", "keep-both"] });
    await converged(pair);

    writeFileSync(path.join(pair.a, "shared.txt"), "changed on A\n");
    writeFileSync(path.join(pair.b, "shared.txt"), "changed on B\n");
    const { a: files } = await converged(pair);
    // One side's version is the file; the other's is kept beside it as a conflict copy, on both devices.
    const texts = Object.fromEntries(
      Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes, "base64").toString()]),
    );
    const copies = Object.keys(texts).filter((name) => name.startsWith("shared (conflict "));
    expect(copies).toHaveLength(1);
    expect([texts["shared.txt"], texts[copies[0]!]].sort()).toEqual(["changed on A\n", "changed on B\n"]);
    expect([...a.events, ...b.events]).toContainEqual(
      expect.objectContaining({ event: "conflict", path: "shared.txt" }),
    );
  }, 120_000);

  it("goes on by itself after the server restarts under two watchers, and sends what changed while it was down", async () => {
    const pair = await devicePair();
    await watchBoth(pair);
    writeFileSync(path.join(pair.a, "one.txt"), "before the restart\n");
    await converged(pair);

    await server.current!.kill("SIGKILL");
    writeFileSync(path.join(pair.a, "two.txt"), "while the server was down\n");
    await sleep(1000);
    await server.start({ SMSYNC_TRANSFER_CLAIM_SECONDS: "1" });
    await converged(pair);
    writeFileSync(path.join(pair.b, "three.txt"), "after the restart\n");
    const { a: files } = await converged(pair);
    expect(Object.keys(files)).toEqual(["one.txt", "three.txt", "two.txt"]);
  }, 120_000);

  it("keeps a watcher's changes while its network is cut and sends them when it returns", async () => {
    const pair = await devicePair({ aThroughProxy: true });
    const { a } = await watchBoth(pair);

    proxy.refuse(true);
    proxy.cutAll();
    writeFileSync(path.join(pair.a, "offline.txt"), "written with no network\n");
    writeFileSync(path.join(pair.b, "online.txt"), "written on the other side\n");
    await a.waitFor(
      "a networkNotConnected mode",
      (event) => event.event === "mode" && event.mode === "networkNotConnected",
    );
    expect(existsSync(path.join(pair.b, "offline.txt"))).toBe(false);

    proxy.refuse(false);
    const { b: files } = await converged(pair);
    expect(Object.keys(files)).toEqual(["offline.txt", "online.txt"]);
  }, 120_000);

  it("loses nothing when killed with SIGKILL mid-upload: the next start sends the file whole", async () => {
    const pair = await devicePair();
    const { a } = await watchBoth(pair);
    const big = randomBytes(48 * 1024 * 1024);
    writeFileSync(path.join(pair.a, "big.bin"), big);
    await a.waitFor("the upload of big.bin", (event) => event.event === "uploading" && event.path === "big.bin");
    // Killed once the server holds part of it: a staged upload larger than nothing and smaller than the file.
    const deadline = Date.now() + 60_000;
    while (!stagedSizes(server.stagingDir).some((size) => size > 0 && size < big.length)) {
      if (Date.now() > deadline) throw new Error("big.bin was never seen half uploaded");
      await sleep(2);
    }
    await a.stop("SIGKILL");

    const again = watch(pair.configA, pair.a);
    await again.ready();
    await converged(pair);
    expect(sha256(readFileSync(path.join(pair.b, "big.bin")))).toBe(sha256(big));
  }, 180_000);

  it("stops with exit code 1 and the reason when the server refuses its token", async () => {
    const first = await server.newUser();
    const second = await server.newDevice(first.userName, "revoked-laptop");
    const dir = path.join(home, "revoked");
    const config = path.join(home, "revoked.json");
    mkdirSync(dir);
    expect((await runCli(config, ["login", "--server", server.url, "--token", second.client.token!])).code).toBe(0);
    const revoked = watch(config, dir);
    await revoked.ready();
    // As an operator does it: the admin command, against the server's database.
    const revoke = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/admin/cli.ts", "revoke-device", first.userName, "revoked-laptop"],
      { cwd: path.resolve(import.meta.dirname, "../../../api"), env: server.environment(), encoding: "utf8" },
    );
    expect(revoke.status, revoke.stderr).toBe(0);
    writeFileSync(path.join(dir, "after.txt"), "written after the token was revoked\n");
    expect(await revoked.ended).toEqual({ code: 1, signal: null });
    const stopped = revoked.events.at(-1)!;
    expect(stopped).toMatchObject({ ok: false, event: "stopped" });
    expect(String(stopped.error)).toMatch(/token|UNAUTHENTICATED|refused/i);
  }, 120_000);

  it("never uploads a file while it is still being written", async () => {
    const pair = await devicePair();
    const { a } = await watchBoth(pair, { a: ["--settle-ms", "1000"] });
    // Written in 40 pieces, a few milliseconds apart: well within the settle time between any two.
    const piece = randomBytes(64 * 1024);
    const fd = openSync(path.join(pair.a, "slow.bin"), "w");
    for (let i = 0; i < 40; i++) {
      writeSync(fd, piece);
      await sleep(20);
    }
    closeSync(fd);
    await converged(pair);
    expect(readFileSync(path.join(pair.b, "slow.bin")).length).toBe(40 * piece.length);
    // One version only: nothing went up before the last piece was written.
    expect(a.events.filter((event) => event.event === "uploading" && event.path === "slow.bin")).toHaveLength(1);
    expect(readdirSync(pair.b)).toEqual([".smsync", "slow.bin"]);
  }, 120_000);
});
