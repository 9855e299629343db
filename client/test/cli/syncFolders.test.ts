// `smsync sync`, run as a person would: two folders, two devices of one
// account, one real server; each change made in one folder reaches the other.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@smsync/testkit";
import { runCli } from "../support/cliProcess.ts";
import { bytesOf, contents } from "../support/folderContents.ts";
import { indexedFiles } from "../support/serverReads.ts";

let server: TestServer;
let home: string;

beforeAll(async () => {
  server = await startTestServer();
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-sync-"));
});
afterAll(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

function smsync(device: string, ...args: string[]) {
  return runCli(path.join(home, `${device}.json`), args);
}

/** Two devices of a new account, logged in, each with an empty folder (`<name>-a`, `<name>-b`) and its `sync --json`. */
async function twoDevices(name: string) {
  const first = await server.newUser();
  const second = await server.newDevice(first.userName);
  const [a, b] = await Promise.all(
    [first, second].map(async (user, n) => {
      const device = `${name}-${"ab"[n]}`;
      mkdirSync(path.join(home, device));
      expect((await smsync(device, "login", "--server", server.url, "--token", user.token!)).code).toBe(0);
      return path.join(home, device);
    }),
  );
  return {
    a: a!,
    b: b!,
    syncA: () => smsync(`${name}-a`, "sync", a!, "--json"),
    syncB: () => smsync(`${name}-b`, "sync", b!, "--json"),
  };
}

/** Writes each file, its folders made as needed. */
function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  }
}

describe("smsync sync", () => {
  it("makes two folders of one account converge through the server", async () => {
    const laptop = await server.newUser();
    const desktop = await server.newDevice(laptop.userName);
    const a = path.join(home, "a");
    const b = path.join(home, "b");
    mkdirSync(path.join(a, "notes"), { recursive: true });
    mkdirSync(b);
    writeFileSync(path.join(a, "todo.txt"), "buy milk\n");
    writeFileSync(path.join(a, "notes", "idea.md"), "# idea\n");
    expect((await smsync("laptop", "login", "--server", server.url, "--token", laptop.token!)).code).toBe(0);
    expect((await smsync("desktop", "login", "--server", server.url, "--token", desktop.token!)).code).toBe(0);

    const first = await smsync("laptop", "sync", a, "--json");
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, uploaded: 2 });
    const second = await smsync("desktop", "sync", b);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stdout).toMatch(/2 downloaded/);
    expect(contents(b)).toEqual(contents(a));

    // Changes on the desktop: an edit, a deletion, a new file in a new folder.
    writeFileSync(path.join(b, "todo.txt"), "buy milk\nwalk the dog\n");
    rmSync(path.join(b, "notes", "idea.md"));
    mkdirSync(path.join(b, "photos"));
    writeFileSync(path.join(b, "photos", "cat.jpg"), "not really a cat");
    expect((await smsync("desktop", "sync", b)).code).toBe(0);
    const back = await smsync("laptop", "sync", a, "--json");
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ downloaded: 2, removedLocally: 1 });
    expect(contents(a)).toEqual(contents(b));
    expect(existsSync(path.join(a, "notes", "idea.md"))).toBe(false);

    // A sync with nothing new changes nothing.
    const idle = await smsync("laptop", "sync", a, "--json");
    expect(JSON.parse(idle.stdout)).toMatchObject({ uploaded: 0, deleted: 0, downloaded: 0 });
  });

  it("leaves out what a folder's .smsyncignore and the default rules name, and never deletes elsewhere a file that became ignored", async () => {
    const { a, b, syncA, syncB } = await twoDevices("ignoring");
    writeFiles(a, {
      ".smsyncignore": "build/\n*.log\n",
      "notes.txt": "notes",
      ".notes.txt.swp": "vim's swap",
      "src/main.c": "int main(void) { return 0; }\n",
      "build/obj/main.o": "object",
      "logs/run.log": "log",
    });
    const up = await syncA();
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ ok: true, uploaded: 2 });
    expect((await syncB()).code).toBe(0);
    expect(contents(b)).toEqual({ "notes.txt": "notes", "src/main.c": "int main(void) { return 0; }\n" });

    // notes.txt becomes ignored on the laptop, then changes there: it is no longer synced from the laptop,
    // and the desktop keeps its copy (a rule on one device deletes nothing on the others).
    writeFileSync(path.join(a, ".smsyncignore"), "build/\n*.log\nnotes.txt\n");
    writeFileSync(path.join(a, "notes.txt"), "the laptop's own notes");
    const ignoring = await syncA();
    expect(JSON.parse(ignoring.stdout)).toMatchObject({ ok: true, uploaded: 0, deleted: 0 });
    const after = await syncB();
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, downloaded: 0, removedLocally: 0 });
    expect(contents(b)).toEqual({ "notes.txt": "notes", "src/main.c": "int main(void) { return 0; }\n" });
  });

  it("keeps both versions of a file changed on two devices, and both folders converge", async () => {
    const phone = await server.newUser();
    const tablet = await server.newDevice(phone.userName);
    const p = path.join(home, "p");
    const t = path.join(home, "t");
    mkdirSync(p);
    mkdirSync(t);
    writeFileSync(path.join(p, "shared.txt"), "original\n");
    expect((await smsync("phone", "login", "--server", server.url, "--token", phone.token!)).code).toBe(0);
    expect((await smsync("tablet", "login", "--server", server.url, "--token", tablet.token!)).code).toBe(0);
    expect((await smsync("phone", "sync", p)).code).toBe(0);
    expect((await smsync("tablet", "sync", t)).code).toBe(0);

    writeFileSync(path.join(p, "shared.txt"), "phone's edit\n");
    writeFileSync(path.join(t, "shared.txt"), "tablet's edit\n");
    expect((await smsync("phone", "sync", p)).code).toBe(0);
    const conflicted = await smsync("tablet", "sync", t, "--json");
    expect(conflicted.code, conflicted.stderr + conflicted.stdout).toBe(0);
    expect(JSON.parse(conflicted.stdout)).toMatchObject({ conflicts: 1 });
    const onTablet = contents(t);
    expect(onTablet["shared.txt"]).toBe("phone's edit\n");
    const copy = Object.keys(onTablet).find((name) => name.startsWith("shared (conflict "));
    expect(copy && onTablet[copy]).toBe("tablet's edit\n");

    expect((await smsync("phone", "sync", p)).code).toBe(0);
    expect(contents(p)).toEqual(onTablet);
  });

  it("resets a folder's client, and the next sync still converges", async () => {
    const device = await server.newUser();
    const dir = path.join(home, "r");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "kept.txt"), "kept");
    expect((await smsync("resetter", "login", "--server", server.url, "--token", device.token!)).code).toBe(0);
    expect((await smsync("resetter", "sync", dir)).code).toBe(0);
    const reset = await smsync("resetter", "reset", dir, "--json");
    expect(reset.code, reset.stderr + reset.stdout).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ ok: true, previousMode: "idle" });
    writeFileSync(path.join(dir, "after.txt"), "after");
    const again = await smsync("resetter", "sync", dir, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ uploaded: 1 });
    expect((await indexedFiles(device)).filter((file) => !file.deleted)).toHaveLength(2);
  });

  it("stops on a folder's manifest it cannot read, rather than taking the folder for never synced", async () => {
    const device = await server.newUser();
    const dir = path.join(home, "m");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "once.txt"), "synced once");
    expect((await smsync("manifest", "login", "--server", server.url, "--token", device.token!)).code).toBe(0);
    expect((await smsync("manifest", "sync", dir)).code).toBe(0);
    const synced = await indexedFiles(device);
    expect(synced).toHaveLength(1);
    // Half a manifest (what a careless copy or a disk error leaves): read as "never synced", every file would
    // look new and go up again as another file.
    const manifestFile = path.join(dir, ".smsync", "manifest.json");
    writeFileSync(manifestFile, readFileSync(manifestFile, "utf8").slice(0, 10));
    const broken = await smsync("manifest", "sync", dir, "--json");
    expect(broken.code, broken.stderr + broken.stdout).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false });
    expect(broken.stdout, "the JSON parser's complaint").toMatch(/JSON/);
    expect(await indexedFiles(device)).toEqual(synced);
  });

  it("refuses a sync without a folder, or before login", async () => {
    expect((await smsync("nobody", "sync")).code).toBe(2);
    expect((await smsync("nobody", "sync", home)).code).toBe(3);
  });

  it("syncs a folder of 300 small files up and down, byte for byte, then renames, edits and deletions among them", async () => {
    const laptop = await server.newUser();
    const desktop = await server.newDevice(laptop.userName);
    const a = path.join(home, "many-a");
    const b = path.join(home, "many-b");
    for (const sub of ["", "notes", "notes/old", "photos"]) mkdirSync(path.join(a, sub), { recursive: true });
    mkdirSync(b);
    const subs = ["", "notes/", "notes/old/", "photos/"];
    for (let n = 0; n < 300; n++)
      writeFileSync(path.join(a, `${subs[n % 4]}file ${n}.bin`), randomBytes(1 + ((n * 131) % 8192)));
    // A local case twin: the account refuses its name, so it is left out, and every other file of its group goes up.
    writeFileSync(path.join(a, "Readme.md"), "R");
    writeFileSync(path.join(a, "README.md"), "r");
    expect((await smsync("many-a", "login", "--server", server.url, "--token", laptop.token!)).code).toBe(0);
    expect((await smsync("many-b", "login", "--server", server.url, "--token", desktop.token!)).code).toBe(0);

    const up = await smsync("many-a", "sync", a, "--json");
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({
      ok: true,
      uploaded: 301,
      notSynced: [{ path: "Readme.md", reason: expect.stringContaining("README.md") as unknown }],
    });
    const down = await smsync("many-b", "sync", b, "--json");
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ ok: true, downloaded: 301, uploaded: 0 });
    const { "Readme.md": _leftOut, ...synced } = bytesOf(a);
    expect(bytesOf(b)).toEqual(synced);

    // On the desktop: ten renamed (two into another folder), ten edited, ten deleted.
    for (let n = 0; n < 10; n++) {
      renameSync(
        path.join(b, `${subs[n % 4]}file ${n}.bin`),
        path.join(b, `${n < 2 ? "photos/" : subs[n % 4]}moved ${n}.bin`),
      );
      writeFileSync(path.join(b, `${subs[(n + 10) % 4]}file ${n + 10}.bin`), randomBytes(100 + n));
      rmSync(path.join(b, `${subs[(n + 20) % 4]}file ${n + 20}.bin`));
    }
    const changes = await smsync("many-b", "sync", b, "--json");
    expect(changes.code, changes.stderr + changes.stdout).toBe(0);
    expect(JSON.parse(changes.stdout)).toMatchObject({ uploaded: 20, deleted: 10 });
    const back = await smsync("many-a", "sync", a, "--json");
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ downloaded: 20, removedLocally: 10, uploaded: 0 });
    const { "Readme.md": _stillLeftOut, ...after } = bytesOf(a);
    expect(after).toEqual(bytesOf(b));
    expect(Object.keys(after)).toHaveLength(291);

    // Nothing new on either side: nothing moves.
    for (const [device, dir] of [
      ["many-a", a],
      ["many-b", b],
    ] as const) {
      const idle = await smsync(device, "sync", dir, "--json");
      expect(JSON.parse(idle.stdout)).toMatchObject({ uploaded: 0, deleted: 0, downloaded: 0, removedLocally: 0 });
    }
  });
});
