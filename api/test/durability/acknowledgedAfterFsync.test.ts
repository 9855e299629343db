// Nothing is acknowledged before it is durable (docs/protocol.md,
// "Durability"): the server runs as its own process under strace, a client
// drives one upload (in two PATCH requests), its commit and outbound
// transfer, an inbound transfer and the download, then a second version,
// which removes the first one's cloud object; the trace must show every
// answer the server sent after the fsyncs it depends on: the staged bytes,
// the SQLite WAL, the directories of every name it created or renamed into
// place, and of every cloud object it removed (support/fileSystemTrace.ts
// says exactly what is checked). The data directory is one file system, so
// the local cloud links the staged upload and inbound staging links the
// object: those names are checked like any other.
// Without strace the test is skipped with a message, except in CI.
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAcknowledgments,
  type DurabilityCheck,
  parseTrace,
  ProcessServer,
  serverAcknowledgments,
  sha256Hex,
  testProvider,
  traceSyscalls,
  tusUpload,
} from "@smsync/testkit";

const apiDir = path.resolve(import.meta.dirname, "../..");
const hasStrace = spawnSync("strace", ["-V"]).status === 0;
if (!hasStrace) {
  if (process.env.CI) throw new Error("strace is required in CI (apt-get install strace)");
  console.warn("skipping the durability trace test: strace is not installed (apt-get install strace)");
}

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((entry) => path.join(dir, entry))
    .concat(dir);
}

describe.skipIf(!hasStrace || testProvider !== "sqlite")(
  "acknowledgments come after the fsyncs they depend on (strace)",
  () => {
    let server: ProcessServer;
    let dataDir: string;
    let traceFile: string;
    let check: DurabilityCheck;
    const content = randomBytes(300_000);
    const fileUUID = randomUUID();

    beforeAll(async () => {
      server = await ProcessServer.create();
      dataDir = realpathSync(server.dir);
      traceFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.strace`);
      const existing = listTree(dataDir);
      const launcher = ["strace", "-f", "-tt", "-yy", "-s", "1024", "-e", `trace=${traceSyscalls}`, "-o", traceFile];
      const traced = await server.start(
        { SMSYNC_DATA_DIR: dataDir, DATABASE_URL: `file:${path.join(dataDir, "smsync.db")}` },
        launcher,
      );
      try {
        const user = await server.newUser();
        const { fencingToken } = await user.client.lock();
        // Two PATCH requests: each answer reports an offset.
        await tusUpload(
          server.url,
          user.client.token!,
          { fileUUID, version: 0, content, fencingToken },
          { chunkSize: 100_000 },
        );
        const outbound = await user.client.waitForOperation((await user.client.commit(fencingToken)).id, 60_000);
        expect(outbound.state).toBe("SUCCEEDED");

        const download = await user.client.lock();
        const inbound = await user.client.startInboundTransfer(download.fencingToken, [{ fileUUID, version: 0 }]);
        const done = await user.client.waitForOperation(inbound.id, 60_000);
        expect(done.state).toBe("SUCCEEDED");
        const response = await fetch(`${server.url}/downloads/${fileUUID}/0`, {
          headers: { authorization: `Bearer ${user.client.token}` },
        });
        expect(sha256Hex(Buffer.from(await response.arrayBuffer()))).toBe(sha256Hex(content));

        const replace = await user.client.lock();
        await tusUpload(server.url, user.client.token!, {
          fileUUID,
          version: 1,
          content: randomBytes(1000),
          fencingToken: replace.fencingToken,
        });
        const replaced = await user.client.waitForOperation(
          (await user.client.commit(replace.fencingToken)).id,
          60_000,
        );
        expect(replaced.state).toBe("SUCCEEDED");
      } finally {
        // Killing strace would leave the server running untraced: kill the server (the first process in the trace).
        const serverPid = Number(/^(\d+)/.exec(readFileSync(traceFile, "utf8"))?.[1]);
        if (serverPid) process.kill(serverPid, "SIGKILL");
        await traced.waitForExit();
      }
      check = checkAcknowledgments(parseTrace(readFileSync(traceFile, "utf8"), apiDir), {
        dataDir,
        databaseFile: path.join(dataDir, "smsync.db"),
        existing,
        ...serverAcknowledgments(server.port, path.join(dataDir, "staging", "uploads")),
        // An object removed from the cloud must stay removed once the index no longer names it.
        removalMustBeDurable: (file) => file.startsWith(`${path.join(dataDir, "cloud")}/`),
      });
    }, 180_000);

    afterAll(async () => {
      await server?.close();
      // A failing trace is kept for reading; its path is in the failure message.
      if (check?.violations.length === 0) rmSync(traceFile, { force: true });
    });

    /** Names of the file's first version, relative to the data directory, with the ids replaced: F the file, U the user, * any other. */
    const namesOfVersion0 = (files: Iterable<string>) =>
      [...files]
        .filter((file) => path.basename(file).startsWith(`${fileUUID}.v0`))
        .map((file) =>
          path
            .relative(dataDir, file)
            .replaceAll(fileUUID, "F")
            .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\//, "U/")
            .replaceAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "*"),
        )
        .sort();

    it("linked the staged upload into the cloud, its metadata name to the batch's metadata file, and the object into inbound staging (one file system), whose names it checks like renames", () => {
      expect(namesOfVersion0(check.linked)).toEqual([
        "cloud/U/.tmp/F.v0.*.objects.json.probe",
        "cloud/U/F.v0",
        "cloud/U/F.v0.json",
        "staging/inbound/U/F.v0.link",
      ]);
    });

    it("saw the operations it checks: answers, the object renamed into inbound staging, then removed from the cloud", () => {
      expect(check.acknowledgments.filter((ack) => ack.text.startsWith("HTTP/1.1 204")).length).toBeGreaterThanOrEqual(
        2,
      );
      expect(namesOfVersion0(check.renamedInto)).toEqual(["staging/inbound/U/F.v0"]);
      // The object and its metadata name; and the batch's metadata file and the probe of links, in .tmp.
      expect(namesOfVersion0(check.removed).filter((file) => file.startsWith("cloud/"))).toEqual([
        "cloud/U/.tmp/F.v0.*.objects.json",
        "cloud/U/.tmp/F.v0.*.objects.json.probe",
        "cloud/U/F.v0",
        "cloud/U/F.v0.json",
      ]);
    });

    it("sent every answer after the fsyncs it depends on", () => {
      const report = check.violations.map(
        (violation) =>
          `line ${violation.acknowledgment.line} "${violation.acknowledgment.text}": ${violation.notDurable} (changed at line ${violation.changedAtLine})`,
      );
      expect(report, `trace: ${traceFile}`).toEqual([]);
    });
  },
);
