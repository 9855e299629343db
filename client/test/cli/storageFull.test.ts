// `smsync sync` when there is no room (client/README.md, exit codes): the
// account's cloud storage full, or the server's staging area full. The CLI
// says so at once on stderr (with --quiet too) and exits 5 instead of
// waiting silently; nothing is lost, and once space returns the transfer
// finishes (the server's by itself) and the next sync ends well. The server's
// local cloud and staging area are real small file systems (tmpfs).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer } from "@smsync/testkit";
import {
  mountSmallFileSystem,
  smallFileSystemSuite,
  smallFileSystemSupport,
  type SmallFileSystem,
} from "@smsync/testkit";
import { exitCodes } from "../../src/cli/exitCodes.ts";
import { runCli } from "../support/cliProcess.ts";
import { indexedFiles } from "../support/serverReads.ts";

const sha256 = (content: Buffer) => createHash("sha256").update(content).digest("hex");

describe.skipIf(!smallFileSystemSupport.ok)(smallFileSystemSuite("smsync sync with no room"), () => {
  let cloudDisk: SmallFileSystem;
  let stagingDisk: SmallFileSystem;
  let server: TestServer;
  let home: string;

  beforeAll(async () => {
    cloudDisk = mountSmallFileSystem(2 * 1024 * 1024);
    stagingDisk = mountSmallFileSystem(2 * 1024 * 1024);
    server = await startTestServer({
      SMSYNC_LOCAL_CLOUD_DIR: cloudDisk.dir,
      SMSYNC_STAGING_DIR: stagingDisk.dir,
      SMSYNC_TRANSFER_STORAGE_FULL_POLL_MS: "100",
    });
    home = mkdtempSync(path.join(tmpdir(), "smsync-cli-full-"));
  });
  afterAll(async () => {
    await server?.close();
    cloudDisk?.unmount();
    stagingDisk?.unmount();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** A logged-in device with a folder holding one file. */
  async function deviceWithFile(name: string, content: Buffer) {
    const user = await server.newUser();
    const dir = path.join(home, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, "big.bin"), content);
    const smsync = (...args: string[]) => runCli(path.join(home, `${name}.json`), args);
    expect((await smsync("login", "--server", server.url, "--token", user.token!)).code).toBe(0);
    const indexed = async () => (await indexedFiles(user)).filter((file) => file.sha256 === sha256(content));
    return { dir, smsync, indexed };
  }

  it("stops at once with exit 5 when the cloud storage is full, and the server finishes the upload by itself once space returns", async () => {
    const content = randomBytes(400 * 1024);
    const { dir, smsync, indexed } = await deviceWithFile("cloud-full", content);
    await cloudDisk.fill(64 * 1024);
    try {
      const quiet = await smsync("sync", dir, "--quiet");
      expect(quiet.code, quiet.stderr + quiet.stdout).toBe(exitCodes.storageFull);
      expect(quiet.stdout).toBe("");
      expect(quiet.stderr).toMatch(
        /^smsync: sync stopped: the account's cloud storage is full: free space in it or add storage/,
      );
      expect(quiet.stderr).toContain("ENOSPC");

      // Again, for a script: the same exit code, and the code in the JSON.
      const json = await smsync("sync", dir, "--json");
      expect(json.code).toBe(exitCodes.storageFull);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: "CLOUD_STORAGE_FULL" });
      expect(await indexed()).toEqual([]);
    } finally {
      await cloudDisk.free();
    }

    // No sync runs now: the server's transfer finishes on its own.
    await eventually("the file indexed once the cloud has room", indexed, (files) => files.length === 1, 60_000);
    const after = await smsync("sync", dir, "--json");
    expect(after.code, after.stderr + after.stdout).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true });
  });

  it("stops at once with exit 5 when the server's staging area is full, and the next sync resumes the upload", async () => {
    const content = randomBytes(600 * 1024);
    const { dir, smsync, indexed } = await deviceWithFile("staging-full", content);
    await stagingDisk.fill(128 * 1024);
    try {
      const quiet = await smsync("sync", dir, "--quiet");
      expect(quiet.code, quiet.stderr + quiet.stdout).toBe(exitCodes.storageFull);
      expect(quiet.stderr).toMatch(/^smsync: sync stopped: the server's staging area is full\. Nothing is lost/);
      expect(await indexed()).toEqual([]);
    } finally {
      await stagingDisk.free();
    }

    const after = await smsync("sync", dir, "--json");
    expect(after.code, after.stderr + after.stdout).toBe(0);
    expect(await indexed()).toHaveLength(1);
  });
});
