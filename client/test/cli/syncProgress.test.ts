// The progress of `smsync sync` as a person or a script sees it: plain lines
// on a stderr that is not a terminal, bars on one (under script(1), which
// gives the CLI a pseudo-terminal), nothing with --quiet; stdout keeps only
// the summary (one JSON document with --json).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@smsync/testkit";
import { runCli, runCliOnTerminal, scriptCommand } from "../support/cliProcess.ts";

const MiB = 1024 * 1024;

// The terminal case runs the CLI under script(1) (/usr/bin/script, util-linux's, in Debian's bsdutils package), which gives
// it a pseudo-terminal. Without it that case is skipped with a warning, except in CI, where it must run.
const hasScript = existsSync(scriptCommand);
if (!hasScript) {
  if (process.env.CI) throw new Error(`${scriptCommand} is required in CI (script(1): apt-get install bsdutils)`);
  console.warn(
    `skipping the terminal progress test: ${scriptCommand} is missing (script(1): apt-get install bsdutils)`,
  );
}

let server: TestServer;
let home: string;

beforeAll(async () => {
  server = await startTestServer();
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-progress-"));
});
afterAll(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

/** A logged-in device and a folder holding one file big enough to show progress. */
async function folderWithBigFile(name: string): Promise<{ config: string; dir: string; userName: string }> {
  const device = await server.newUser();
  const config = path.join(home, `${name}.json`);
  const dir = path.join(home, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, `${name}-big.bin`), randomBytes(6 * MiB));
  writeFileSync(path.join(dir, "small.txt"), "small");
  const login = await runCli(config, ["login", "--server", server.url, "--token", device.token!]);
  expect(login.code, login.stderr).toBe(0);
  return { config, dir, userName: device.userName };
}

describe("smsync sync progress", () => {
  it("prints plain progress lines on a stderr that is not a terminal, and the summary on stdout", async () => {
    const { config, dir, userName } = await folderWithBigFile("lines");
    const run = await runCli(config, ["sync", dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^progress: \d+\/2 files, .*; uploading \S+ \d+% /m);
    expect(run.stderr).toMatch(
      /^progress: \d\/2 files, .*; uploaded lines-big\.bin 100% 6\.0 MiB\/6\.0 MiB \([\d.]+ \w+\/s\)$/m,
    );
    expect(run.stderr).toMatch(/^transferred 2\/2 files, 6\.0 MiB\/6\.0 MiB .* in [\d.]+ s$/m);
    expect(run.stderr).not.toMatch(/\x1b\[/); // no terminal control sequences
    expect(run.stdout).toMatch(
      /^synced .*: 2 uploaded \(6\.0 MiB\), 0 deleted, 0 downloaded \(0 B\), 0 removed here, 0 conflict\(s\) in [\d.]+ s\n$/,
    );

    // Another device of the account: the same file comes down, named by its path in the account.
    const other = await server.newDevice(userName);
    const otherConfig = path.join(home, "lines-other.json");
    const otherDir = path.join(home, "lines-other");
    mkdirSync(otherDir);
    expect((await runCli(otherConfig, ["login", "--server", server.url, "--token", other.token!])).code).toBe(0);
    const down = await runCli(otherConfig, ["sync", otherDir]);
    expect(down.code, down.stderr).toBe(0);
    // Both downloads counted from the start (the server's index says what is coming).
    expect(down.stderr).toMatch(
      /^progress: \d\/2 files, [\d.]+ \w+\/6\.0 MiB .*; downloaded lines-big\.bin 100% 6\.0 MiB\/6\.0 MiB/m,
    );
    expect(down.stdout).toMatch(/2 downloaded \(6\.0 MiB\)/);
  });

  it("keeps stdout one JSON document with --json, and prints nothing on stderr with --quiet", async () => {
    const { config, dir } = await folderWithBigFile("json");
    const json = await runCli(config, ["sync", dir, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, uploaded: 2, bytesUploaded: 6 * MiB + 5 });
    expect(json.stderr).toMatch(/^progress: /m);

    writeFileSync(path.join(dir, "json-big.bin"), randomBytes(6 * MiB));
    const quiet = await runCli(config, ["sync", dir, "--quiet"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toMatch(/^synced .*: 1 uploaded \(6\.0 MiB\)/);
  });

  it.skipIf(!hasScript)("draws bars with the file name and a percentage on a terminal", async () => {
    const { config, dir } = await folderWithBigFile("bars");
    // Large enough to take several of the bars' frames (10 a second) even on a fast, idle machine.
    writeFileSync(path.join(dir, "bars-big.bin"), randomBytes(64 * MiB));
    const run = await runCliOnTerminal(config, ["sync", dir]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/↑ bars-big\.bin +[█░]+ +\d+% [\d.]+ \w+\/64\.0 MiB/);
    expect(run.stdout).toMatch(/total +[█░]+ 100% 2\/2 files, 64\.0 MiB\/64\.0 MiB/);
    expect(run.stdout).toMatch(/\x1b\[/); // redrawn in place
    expect(run.stdout).not.toMatch(/^progress: /m);
    expect(run.stdout).toMatch(/synced .*: 2 uploaded/);
  });
});
