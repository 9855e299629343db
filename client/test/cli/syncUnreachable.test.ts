// `smsync sync` when the server stops answering after the CLI has checked
// it: the sync must not say ok. It exits 4 (server unreachable), names what
// is still pending, keeps it, and the next sync with the server back
// finishes the job. Two ways the server goes away: in the middle of an
// upload (the tus PATCH is cut: the pass ends in networkNotConnected), and
// before the lock is answered (the outbox holds the mutation and retries:
// the CLI gives up after --give-up-after).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCuttingProxy, useTestServer } from "@smsync/testkit";
import { cliJson, runCli } from "../support/cliProcess.ts";

const server = useTestServer();
const proxy = useCuttingProxy(server);
let home: string;

beforeAll(() => {
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-unreachable-"));
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

/** A logged-in device whose folder holds one new file, and the user's file index. */
async function deviceWithNewFile(name: string) {
  const user = await server.newUser();
  const config = path.join(home, `${name}.json`);
  const dir = path.join(home, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "report.txt"), `the report of ${name}\n`);
  expect((await runCli(config, ["login", "--server", proxy.url, "--token", user.token!])).code).toBe(0);
  const indexed = async () => ((await user.fileIndex()).files as unknown[]).length;
  return { config, dir, indexed };
}

function expectUnreachable(run: { code: number | null; stdout: string; stderr: string }) {
  expect(run.code, run.stdout + run.stderr).toBe(4);
  const answer = cliJson(run);
  expect(answer).toMatchObject({
    ok: false,
    reason: "unreachable",
    pending: { uploads: 1, deletions: 0, downloads: 0 },
  });
  expect(answer.error).toMatch(/could not be reached.*1 upload\(s\).*pending/);
  expect(answer).not.toHaveProperty("uploaded");
}

describe("smsync sync with the server gone after the check", () => {
  it("an upload cut mid-way: exit 4 with the upload pending, and the next sync uploads it", async () => {
    const device = await deviceWithNewFile("cut-upload");
    // tus PATCHes and batch uploads alike: every request that carries the file's bytes.
    void proxy.cutAfter({ direction: "up", afterBytes: 0, match: /^(PATCH |POST \/upload-batches)/, times: Infinity }); // only resolves
    try {
      const run = await runCli(device.config, ["sync", device.dir, "--json", "--quiet", "--give-up-after", "20"]);
      expectUnreachable(run);
      expect(await device.indexed(), "nothing reached the file index").toBe(0);
    } finally {
      proxy.disarm();
    }
    const again = await runCli(device.config, ["sync", device.dir, "--json", "--quiet"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true });
    expect(await device.indexed()).toBe(1);
  });

  it("a lock never answered: the CLI gives up after --give-up-after, exit 4 with the upload pending", async () => {
    const device = await deviceWithNewFile("no-lock");
    void proxy.cutAfter({ direction: "up", afterBytes: 0, body: /"operationName":"Lock"/, times: Infinity }); // only resolves
    try {
      const run = await runCli(device.config, ["sync", device.dir, "--json", "--quiet", "--give-up-after", "1"]);
      expectUnreachable(run);
      expect(await device.indexed()).toBe(0);
    } finally {
      proxy.disarm();
    }
    const again = await runCli(device.config, ["sync", device.dir, "--json", "--quiet"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await device.indexed()).toBe(1);
  });

  it("refuses a --give-up-after that is not a number of seconds", async () => {
    const run = await runCli(path.join(home, "none.json"), ["sync", home, "--give-up-after", "soon"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--give-up-after must be a number of seconds/);
  });
});
