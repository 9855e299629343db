// `smsync login` and `smsync status`, run as a person would: the bin in its
// own process, against a real server.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@smsync/testkit";
import { runCli } from "../support/cliProcess.ts";

let server: TestServer;
let home: string;

beforeAll(async () => {
  server = await startTestServer();
  home = mkdtempSync(path.join(tmpdir(), "smsync-cli-"));
});
afterAll(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

function smsync(...args: string[]) {
  return runCli(path.join(home, "config.json"), args);
}

describe("smsync login and status", () => {
  it("refuses status before login, with the authentication exit code", async () => {
    const result = await smsync("status");
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not logged in/);
  });

  it("refuses a wrong token and an unreachable server with their exit codes, saving nothing", async () => {
    const wrong = await smsync("login", "--server", server.url, "--token", "smsync_wrong", "--json");
    expect(wrong.code).toBe(3);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, reason: "unauthenticated" });
    const closed = await smsync("login", "--server", "http://127.0.0.1:1", "--token", "smsync_x");
    expect(closed.code).toBe(4);
    expect(() => statSync(path.join(home, "config.json"))).toThrow();
  });

  it("logs in, keeps the token private, and reports the account", async () => {
    const device = await server.newUser();
    const login = await smsync("login", "--server", server.url, "--token", device.token!);
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/logged in to .* 0 file\(s\) in the account/);
    const config = path.join(home, "config.json");
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual({ server: server.url, token: device.token });

    const status = await smsync("status", "--json");
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, server: server.url, files: 0, deletedFiles: 0 });
  });

  it("answers a wrong command line with the usage exit code", async () => {
    expect((await smsync("frobnicate")).code).toBe(2);
    expect((await smsync("login", "--server", server.url)).code).toBe(2);
    expect((await smsync("--help")).code).toBe(0);
  });
});
