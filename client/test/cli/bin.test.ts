// The bin as a person runs it: `node bin/smsync.js`, which loads the CLI
// compiled into dist/ by `npm run build` (`npm install` runs it, and turbo's
// test task builds first). The other CLI tests run the CLI's source
// (support/cliProcess.ts). A package whose build is missing says so.
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientDir, requireBuild } from "../support/built.ts";
import { cliJson, runBuiltBin } from "../support/cliProcess.ts";
import { startTestServer, type TestServer } from "@smsync/testkit";

const home = mkdtempSync(path.join(tmpdir(), "smsync-bin-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const config = path.join(home, "config.json");

describe("bin/smsync.js, built", () => {
  beforeAll(requireBuild);

  it("prints its version, the package's", async () => {
    const result = await runBuiltBin(config, ["--version"]);
    expect(result).toEqual({ code: 0, stdout: "smsync 0.1.0\n", stderr: "" });
  });

  it("prints its usage", async () => {
    const result = await runBuiltBin(config, ["--help"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: smsync <command>/);
  });

  it("refuses status before login, with the authentication exit code", async () => {
    const result = await runBuiltBin(config, ["status"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not logged in/);
  });
});

describe("bin/smsync.js, built, syncing", () => {
  let server: TestServer;
  beforeAll(async () => {
    requireBuild();
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it("takes a folder up and brings it down on another device, from the CLI bundled into dist/", async () => {
    const laptop = await server.newUser();
    const desktop = await server.newDevice(laptop.userName);
    const [a, b] = [path.join(home, "sync-a"), path.join(home, "sync-b")];
    mkdirSync(path.join(a, "notes"), { recursive: true });
    mkdirSync(b);
    const photo = randomBytes(300_000);
    writeFileSync(path.join(a, "notes", "todo.txt"), "buy milk\n");
    writeFileSync(path.join(a, "photo.jpg"), photo);
    const [laptopConfig, desktopConfig] = [path.join(home, "laptop.json"), path.join(home, "desktop.json")];
    for (const [configFile, token] of [
      [laptopConfig, laptop.token!],
      [desktopConfig, desktop.token!],
    ] as const) {
      const login = await runBuiltBin(configFile, ["login", "--server", server.url, "--token", token]);
      expect(login.code, login.stderr).toBe(0);
    }

    const up = await runBuiltBin(laptopConfig, ["sync", a, "--json"]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(cliJson(up)).toMatchObject({ ok: true, uploaded: 2, bytesUploaded: photo.length + 9 });
    const down = await runBuiltBin(desktopConfig, ["sync", b, "--json"]);
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(cliJson(down)).toMatchObject({ ok: true, downloaded: 2 });
    expect(readFileSync(path.join(b, "notes", "todo.txt"), "utf8")).toBe("buy milk\n");
    expect(readFileSync(path.join(b, "photo.jpg"))).toEqual(photo);
  });

  it("compiles the CLI from the code cache that its first sync wrote, and from source without one", async () => {
    const user = await server.newUser();
    const own = path.join(home, "code-cache");
    const folder = path.join(own, "folder");
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, "a.txt"), "a\n");
    const configFile = path.join(own, "config.json");
    const cacheDir = path.join(own, "cache");
    const report = { SMSYNC_CODE_CACHE: "report" };
    const login = await runBuiltBin(configFile, ["login", "--server", server.url, "--token", user.token!]);
    expect(login.code, login.stderr).toBe(0);
    expect(existsSync(cacheDir)).toBe(false);

    const first = await runBuiltBin(configFile, ["sync", folder, "--quiet"], undefined, report);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe("smsync: code cache absent, written\n");
    expect(readdirSync(cacheDir)).toEqual([expect.stringMatching(/^cli-[0-9a-f]{32}-[0-9a-f]{16}\.v8-cache$/)]);

    writeFileSync(path.join(folder, "b.txt"), "b\n");
    const second = await runBuiltBin(configFile, ["sync", folder, "--json", "--quiet"], undefined, report);
    expect(second.stderr).toBe("smsync: code cache accepted\n");
    expect(cliJson(second)).toMatchObject({ ok: true, uploaded: 1 });

    // Off: compiled from source, and no cache written.
    const elsewhere = path.join(own, "cache-off");
    const off = await runBuiltBin(configFile, ["sync", folder, "--quiet"], undefined, {
      SMSYNC_CODE_CACHE: "off",
      SMSYNC_CACHE_DIR: elsewhere,
    });
    expect(off).toMatchObject({ code: 0, stderr: "" });
    expect(existsSync(elsewhere)).toBe(false);
  });
});

describe("bin/smsync.js, not built", () => {
  it("says to run the build, and exits 1", async () => {
    // The package as a clone has it before `npm run build`: its package.json and bin, no dist/.
    const unbuilt = path.join(home, "unbuilt");
    mkdirSync(path.join(unbuilt, "bin"), { recursive: true });
    copyFileSync(path.join(clientDir, "package.json"), path.join(unbuilt, "package.json"));
    copyFileSync(path.join(clientDir, "bin/smsync.js"), path.join(unbuilt, "bin/smsync.js"));
    const result = await runBuiltBin(config, ["--version"], path.join(unbuilt, "bin/smsync.js"));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `smsync: the client is not built (Cannot find module '${unbuilt}/dist/cli/bundledCli.js'`,
    );
    expect(result.stderr).toContain("Run `npm run build` at the root of the smsync repository");
  });
});
