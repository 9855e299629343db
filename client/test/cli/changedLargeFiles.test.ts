// `smsync sync` of a large file changed in place on another device: the new
// version goes up as the blocks that changed, and comes down as the blocks
// the folder's copy lacks (docs/protocol.md, "Changed files as deltas"),
// the rest built from the folder's own copy. Counted at a proxy in front of
// the downloading device; its file ends up byte for byte the other's.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCuttingProxy, useTestServer } from "@smsync/testkit";
import { cliJson, runCli } from "../support/cliProcess.ts";

const MiB = 1024 * 1024;
const server = useTestServer();
const proxy = useCuttingProxy(server);
let home: string;

beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-changed-large-"));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

async function synced(config: string, folder: string) {
  const run = await runCli(config, ["sync", folder, "--json", "--quiet"]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return cliJson(run);
}

describe("a large file changed in place on another device", () => {
  it("comes down as the changed blocks, the rest taken from the folder's copy", async () => {
    const user = await server.newUser();
    const desktop = await server.newDevice(user.userName);
    const [laptopConfig, desktopConfig] = [path.join(home, "laptop.json"), path.join(home, "desktop.json")];
    const [laptopDir, desktopDir] = [path.join(home, "laptop"), path.join(home, "desktop")];
    mkdirSync(laptopDir);
    mkdirSync(desktopDir);
    expect((await runCli(laptopConfig, ["login", "--server", server.url, "--token", user.token!])).code).toBe(0);
    expect((await runCli(desktopConfig, ["login", "--server", proxy.url, "--token", desktop.token!])).code).toBe(0);

    const video = path.join(laptopDir, "video.bin");
    writeFileSync(video, randomBytes(6 * MiB));
    await synced(laptopConfig, laptopDir);
    expect(await synced(desktopConfig, desktopDir)).toMatchObject({ downloaded: 1 });
    expect(proxy.stats.bytesDown).toBeGreaterThan(6 * MiB);

    // 4 KiB rewritten in place, 3 MiB in: the size stays, the content changes.
    const handle = openSync(video, "r+");
    writeSync(handle, randomBytes(4096), 0, 4096, 3 * MiB);
    closeSync(handle);
    await synced(laptopConfig, laptopDir);
    proxy.resetStats();
    expect(await synced(desktopConfig, desktopDir)).toMatchObject({ downloaded: 1 });

    expect(readFileSync(path.join(desktopDir, "video.bin")).equals(readFileSync(video))).toBe(true);
    expect(proxy.stats.requests.filter((line) => / \/downloads\//.test(line))).toHaveLength(1);
    expect(proxy.stats.bytesDown).toBeLessThan(1 * MiB);
  });
});
