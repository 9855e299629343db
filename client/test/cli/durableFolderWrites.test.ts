// `smsync sync` reports a sync only once what it wrote into the folder
// survives a power loss: the CLI runs under strace while it downloads files
// (one in a new subfolder) and removes one deleted elsewhere; by the time it
// prints its summary every file it wrote must have been fsynced, every name
// it created, renamed into place or removed made durable by an fsync of its
// directory, and so must the manifest and the client's store
// (testkit/src/fileSystemTrace.ts says exactly what is checked).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAcknowledgments,
  type DurabilityCheck,
  parseTrace,
  startTestServer,
  type TestServer,
  traceSyscalls,
} from "@smsync/testkit";
import { runCli } from "../support/cliProcess.ts";

const hasStrace = spawnSync("strace", ["-V"]).status === 0;
if (!hasStrace) {
  if (process.env.CI) throw new Error("strace is required in CI (apt-get install strace)");
  console.warn("skipping the CLI durability trace test: strace is not installed (apt-get install strace)");
}

describe.skipIf(!hasStrace)("smsync sync writes the folder durably before it reports (strace)", () => {
  let server: TestServer;
  let home: string;
  let folder: string;
  let traceFile: string;
  let check: DurabilityCheck;

  beforeAll(async () => {
    server = await startTestServer();
    home = realpathSync(mkdtempSync(path.join(tmpdir(), "smsync-cli-durable-")));
    const laptop = await server.newUser();
    const desktop = await server.newDevice(laptop.userName);
    const smsync = (device: string, args: string[], launcher: string[] = []) =>
      runCli(path.join(home, `${device}.json`), args, launcher);
    expect((await smsync("laptop", ["login", "--server", server.url, "--token", laptop.token!])).code).toBe(0);
    expect((await smsync("desktop", ["login", "--server", server.url, "--token", desktop.token!])).code).toBe(0);

    const source = path.join(home, "laptop");
    folder = path.join(home, "desktop");
    mkdirSync(source);
    writeFileSync(path.join(source, "gone.txt"), "deleted on the laptop later\n");
    expect((await smsync("laptop", ["sync", source])).code).toBe(0);
    expect((await smsync("desktop", ["sync", folder])).code).toBe(0);
    rmSync(path.join(source, "gone.txt"));
    mkdirSync(path.join(source, "notes"));
    writeFileSync(path.join(source, "notes", "idea.md"), "# idea\n");
    writeFileSync(path.join(source, "todo.txt"), "buy milk\n");
    expect((await smsync("laptop", ["sync", source])).code).toBe(0);

    traceFile = path.join(home, "desktop.strace");
    const existing = readdirSync(folder, { recursive: true, encoding: "utf8" }).map((entry) =>
      path.join(folder, entry),
    );
    const launcher = ["strace", "-f", "-tt", "-yy", "-s", "256", "-e", `trace=${traceSyscalls}`, "-o", traceFile];
    const traced = await smsync("desktop", ["sync", folder, "--json"], launcher);
    expect(traced.code, traced.stderr + traced.stdout).toBe(0);
    expect(JSON.parse(traced.stdout)).toMatchObject({ ok: true, downloaded: 2, removedLocally: 1 });

    const stateDir = path.join(folder, ".smsync");
    check = checkAcknowledgments(parseTrace(readFileSync(traceFile, "utf8"), process.cwd()), {
      dataDir: folder,
      databaseFile: path.join(stateDir, "client.db"),
      existing: [folder, ...existing],
      // The summary on stdout is the report; it depends on everything written before it.
      acknowledges: (send) => send.descriptor.startsWith("1<") && send.text.includes('"ok"'),
      dependsOn: () => true,
      // A file removed from the folder must stay removed; the client's own leftovers may come back.
      removalMustBeDurable: (file) => !file.startsWith(`${stateDir}/`),
    });
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("saw the summary and the files renamed into the folder", () => {
    expect(check.acknowledgments).toHaveLength(1);
    expect(
      [...check.renamedInto]
        .map((file) => path.relative(folder, file))
        .filter((file) => !file.startsWith(".smsync"))
        .sort(),
      // A small download is written from memory to its temporary name beside its place, then renamed into place.
    ).toEqual(["notes/idea.md", "todo.txt"]);
  });

  it("printed its summary after the fsyncs of everything it wrote, created, renamed or removed in the folder", () => {
    expect(
      check.violations.map((violation) => `${violation.notDurable} (changed at line ${violation.changedAtLine})`),
    ).toEqual([]);
  });
});
