// `smsync sync` and file names: case twins from the server (made before the
// server compared names by case) become a conflict copy, never a lost file;
// a rename made elsewhere moves the file in the folder; local files whose
// names the account cannot take are left out and named, not fatal.
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, assert, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestGraphQLClient, type TestServer, tusUpload } from "@smsync/testkit";
import { cliJson, runCli } from "../support/cliProcess.ts";
import { stringContaining } from "../support/matchers.ts";
import { commitBatch, indexedFiles, operationEnded } from "../support/serverReads.ts";

let server: TestServer;
let home: string;

beforeAll(async () => {
  server = await startTestServer();
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-names-"));
});
afterAll(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

/** A device of a new user, logged in for the CLI; returns the device's config name and raw client. */
async function loggedIn(user?: TestGraphQLClient & { userName: string }) {
  const raw = user ? await server.newDevice(user.userName) : await server.newUser();
  const device = randomUUID();
  const login = await smsync(device, "login", "--server", server.url, "--token", raw.token!);
  expect(login.code, login.stderr).toBe(0);
  return { device, raw };
}

function smsync(device: string, ...args: string[]) {
  return runCli(path.join(home, `${device}.json`), args);
}

async function syncJson(device: string, dir: string) {
  const run = await smsync(device, "sync", dir, "--json");
  expect(run.code, run.stderr + run.stdout).toBe(0);
  return cliJson(run);
}

function folder(files: Record<string, string> = {}): string {
  const dir = path.join(home, randomUUID());
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

/** Every file of a folder (not the CLI's state) with its content. */
function contents(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of readdirSync(dir))
    if (name !== ".smsync") result[name] = readFileSync(path.join(dir, name), "utf8");
  return result;
}

async function liveNames(raw: TestGraphQLClient): Promise<string[]> {
  return (await indexedFiles(raw))
    .filter((file) => !file.deleted)
    .map((file) => file.cloudFileName)
    .sort();
}

/** Uploads and commits a version of a file over the protocol, as another app would. */
async function commitVersion(
  raw: TestGraphQLClient,
  spec: { fileUUID: string; version: number; cloudFileName: string; content: string },
) {
  const { fencingToken } = await raw.lock();
  await tusUpload(server.url, raw.token!, { ...spec, content: Buffer.from(spec.content), fencingToken });
  expect((await operationEnded(raw, (await commitBatch(raw, fencingToken)).id)).state).toBe("SUCCEEDED");
}

describe("case twins from the server", () => {
  it("writes the second twin as a case conflict copy, keeps it there, and an edit of it renames the file on the server", async () => {
    const { device, raw } = await loggedIn();
    const [upper, lower] = [randomUUID(), randomUUID()];
    await commitVersion(raw, { fileUUID: upper, version: 0, cloudFileName: "Report.txt", content: "upper" });
    await commitVersion(raw, { fileUUID: lower, version: 0, cloudFileName: "other.txt", content: "lower" });
    // Twins as an older server left them: renamed in the index directly.
    await server.app.services.db.$transaction((tx) =>
      tx.fileEntry.updateMany({ where: { fileUUID: lower }, data: { cloudFileName: "report.txt" } }),
    );

    const dir = folder();
    const first = await syncJson(device, dir);
    expect(first).toMatchObject({ ok: true, downloaded: 2, conflicts: 1, uploaded: 0 });
    const here = contents(dir);
    expect(Object.values(here).sort()).toEqual(["lower", "upper"]);
    const copy = Object.keys(here).find((name) => name.includes("(case conflict)"));
    expect(copy).toMatch(/^(report|Report) \(case conflict\)\.txt$/);
    const plain = Object.keys(here).find((name) => name !== copy)!;
    expect(plain.toLowerCase()).toBe("report.txt");

    // Nothing moves on the next sync, and nothing is uploaded.
    expect(await syncJson(device, dir)).toMatchObject({ uploaded: 0, downloaded: 0, deleted: 0 });
    expect(contents(dir)).toEqual(here);

    // Editing the copy uploads it under the copy's name: the twins are resolved on the server too.
    writeFileSync(path.join(dir, copy!), `${here[copy!]}, edited`);
    expect(await syncJson(device, dir)).toMatchObject({ uploaded: 1 });
    expect(await liveNames(raw)).toEqual([copy!, plain].sort());
  });
});

describe("renames", () => {
  it("a new version under a new name moves the file in the folder: the old path goes away, the new one appears", async () => {
    const { device, raw } = await loggedIn();
    const fileUUID = randomUUID();
    await commitVersion(raw, { fileUUID, version: 0, cloudFileName: "draft.txt", content: "first draft" });
    const dir = folder();
    expect(await syncJson(device, dir)).toMatchObject({ downloaded: 1 });
    expect(contents(dir)).toEqual({ "draft.txt": "first draft" });

    await commitVersion(raw, { fileUUID, version: 1, cloudFileName: "final.txt", content: "final text" });
    expect(await syncJson(device, dir)).toMatchObject({ downloaded: 1, uploaded: 0, deleted: 0 });
    expect(contents(dir)).toEqual({ "final.txt": "final text" });
    expect((await raw.fileIndex()).files).toMatchObject([
      { fileUUID, version: 1, cloudFileName: "final.txt", deleted: false },
    ]);
    // The folder's record follows: a further sync changes nothing.
    expect(await syncJson(device, dir)).toMatchObject({ uploaded: 0, deleted: 0, downloaded: 0 });
  });

  it("a file renamed in the folder is renamed in the account (same file, next version), and moves in another folder", async () => {
    const { device: laptop, raw } = await loggedIn();
    const { device: desktop } = await loggedIn(raw as TestGraphQLClient & { userName: string });
    const a = folder({ "old name.txt": "content" });
    const b = folder();
    await syncJson(laptop, a);
    await syncJson(desktop, b);
    const [renamed] = await indexedFiles(raw);
    assert.exists(renamed);
    const { fileUUID } = renamed;
    renameSync(path.join(a, "old name.txt"), path.join(a, "new name.txt"));
    expect(await syncJson(laptop, a)).toMatchObject({ uploaded: 1, deleted: 0 });
    expect((await raw.fileIndex()).files).toMatchObject([
      { fileUUID, version: 1, cloudFileName: "new name.txt", deleted: false },
    ]);
    expect(await syncJson(desktop, b)).toMatchObject({ downloaded: 1, removedLocally: 0 });
    expect(contents(b)).toEqual({ "new name.txt": "content" });
    expect(existsSync(path.join(b, "old name.txt"))).toBe(false);

    // A rename that changes only the case of the name takes one sync too.
    renameSync(path.join(b, "new name.txt"), path.join(b, "New Name.txt"));
    expect(await syncJson(desktop, b)).toMatchObject({ uploaded: 1, deleted: 0, notSynced: [] });
    expect(await syncJson(laptop, a)).toMatchObject({ downloaded: 1 });
    expect(contents(a)).toEqual({ "New Name.txt": "content" });
    expect((await raw.fileIndex()).files).toMatchObject([{ fileUUID, version: 2, cloudFileName: "New Name.txt" }]);
  });
});

describe("local names the account cannot take", () => {
  it("leaves out a local case twin, names it, and syncs the rest", async () => {
    const { device, raw } = await loggedIn();
    const dir = folder({ "Notes.txt": "N", "notes.txt": "n", "plain.txt": "p" });
    const run = await syncJson(device, dir);
    expect(run).toMatchObject({ ok: true, uploaded: 2 });
    expect(run.notSynced).toEqual([{ path: "notes.txt", reason: stringContaining("Notes.txt") }]);
    expect(await liveNames(raw)).toEqual(["Notes.txt", "plain.txt"]);
    // Both stay in the folder, untouched; the next sync says the same.
    expect(contents(dir)).toEqual({ "Notes.txt": "N", "notes.txt": "n", "plain.txt": "p" });
    expect(await syncJson(device, dir)).toMatchObject({ uploaded: 0, notSynced: [{ path: "notes.txt" }] });
    // Renamed, it goes up.
    renameSync(path.join(dir, "notes.txt"), path.join(dir, "notes 2.txt"));
    expect(await syncJson(device, dir)).toMatchObject({ uploaded: 1, notSynced: [] });
  });

  it("takes a file the account has with the same content as that file, and keeps a different one beside the account's", async () => {
    const { device: first, raw } = await loggedIn();
    const { device: second } = await loggedIn(raw as TestGraphQLClient & { userName: string });
    await syncJson(first, folder({ "same.txt": "same", "differs.txt": "account's" }));

    const dir = folder({ "same.txt": "same", "differs.txt": "this folder's" });
    const run = await syncJson(second, dir);
    expect(run).toMatchObject({ ok: true, uploaded: 0, notSynced: [{ path: "differs.txt" }] });
    expect(contents(dir)).toEqual({
      "same.txt": "same",
      "differs.txt": "this folder's",
      "differs (name conflict).txt": "account's",
    });
    expect(await liveNames(raw)).toEqual(["differs.txt", "same.txt"]);
  });
});
