// The bin as a person runs it: node runs bin/smsync.js, which registers tsx
// and loads the CLI's TypeScript. The other CLI tests run its bundle when the
// test run built one (support/cliProcess.ts, @smsync/testkit/processBundles).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBinFromSource } from "../support/cliProcess.ts";

const home = mkdtempSync(path.join(tmpdir(), "smsync-bin-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("bin/smsync.js", () => {
  it("prints its usage", async () => {
    const result = await runBinFromSource(path.join(home, "config.json"), ["--help"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: smsync <command>/);
  });

  it("refuses status before login, with the authentication exit code", async () => {
    const result = await runBinFromSource(path.join(home, "config.json"), ["status"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not logged in/);
  });
});
