// A power loss at any answer loses nothing that answer reported (docs/
// protocol.md, "Durability"). The server runs as its own process under
// strace, recording every byte it writes; a client drives one upload (in
// three PATCH requests), its commit and outbound transfer, an inbound
// transfer and its download, and a second version that replaces the first.
// The trace is then replayed on the data directory as it was before the
// server started, keeping only what was fsynced (support/crashStates.ts):
// the crash state at each answer the server sent. At every answer, the
// database must pass SQLite's integrity check and hold every row that a
// crash of the process alone (kill -9, which loses nothing written) would
// leave: no commit made before an answer is lost. And a server started on
// the state at each of the answers that promise something must keep that
// promise:
// - the last PATCH (Upload-Offset: the whole file): the upload has every byte;
// - the commit: the transfer exists, and finishes after the restart;
// - the outbound transfer reported SUCCEEDED: the file is in the index, its
//   object in the cloud (a download after the restart has its bytes), the
//   lock free;
// - the inbound transfer reported SUCCEEDED: the staged download is served;
// - the second version reported SUCCEEDED: the index has it, and the first
//   version's object stays removed from the cloud.
// Without strace the test is skipped with a message, except in CI.
import Sqlite from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  crashStatesAt,
  crashTraceSyscalls,
  sentData,
  snapshotTree,
  writeTree,
  type Tree,
} from "../support/crashStates.ts";
import {
  ProcessServer,
  sha256Hex,
  TestGraphQLClient,
  testProvider,
  type TestUser,
  tusRequest,
  tusUpload,
} from "@smsync/testkit";

const hasStrace = spawnSync("strace", ["-V"]).status === 0;
if (!hasStrace) {
  if (process.env.CI) throw new Error("strace is required in CI (apt-get install strace)");
  console.warn("skipping the crash-state test: strace is not installed (apt-get install strace)");
}

type Promised = "lastPatch" | "commit" | "uploaded" | "downloaded" | "replaced";

describe.skipIf(!hasStrace || testProvider !== "sqlite")(
  "a power loss at any answer (crash states replayed from strace)",
  () => {
    let server: ProcessServer;
    let user: TestUser;
    let dataDir: string;
    let trace: string;
    let initial: Tree;
    let sends: { line: number; data: string }[];
    const content = randomBytes(300_000);
    const second = randomBytes(2_000);
    const fileUUID = randomUUID();
    const ids = { uploadPath: "", outbound: "", inbound: "", replace: "" };

    beforeAll(async () => {
      server = await ProcessServer.create();
      dataDir = realpathSync(server.dir);
      const environment = { SMSYNC_DATA_DIR: dataDir, DATABASE_URL: `file:${path.join(dataDir, "smsync.db")}` };
      // The user is made before the trace (by this process, which strace does not see), then the server stops cleanly.
      await server.start(environment);
      user = await server.newUser();
      await server.db().$disconnect();
      await server.stop();
      initial = snapshotTree(dataDir);

      const traceFile = `${dataDir}.strace`;
      const launcher = [
        "strace",
        "-f",
        "-tt",
        "-yy",
        "-s",
        "8000000",
        "-e",
        `trace=${crashTraceSyscalls}`,
        "-o",
        traceFile,
      ];
      const traced = await server.start(environment, launcher);
      try {
        const { client } = user;
        const { fencingToken } = await client.lock();
        const upload = await tusUpload(
          server.url,
          client.token!,
          { fileUUID, version: 0, content, fencingToken },
          { chunkSize: 100_000 },
        );
        ids.uploadPath = new URL(upload.url).pathname;
        ids.outbound = (await client.commit(fencingToken)).id;
        expect((await client.waitForOperation(ids.outbound, 60_000)).state).toBe("SUCCEEDED");

        const download = await client.lock();
        ids.inbound = (await client.startInboundTransfer(download.fencingToken, [{ fileUUID, version: 0 }])).id;
        expect((await client.waitForOperation(ids.inbound, 60_000)).state).toBe("SUCCEEDED");
        const response = await fetch(`${server.url}/downloads/${fileUUID}/0`, {
          headers: { authorization: `Bearer ${client.token}` },
        });
        expect(sha256Hex(Buffer.from(await response.arrayBuffer()))).toBe(sha256Hex(content));

        const replace = await client.lock();
        await tusUpload(server.url, client.token!, {
          fileUUID,
          version: 1,
          content: second,
          fencingToken: replace.fencingToken,
        });
        ids.replace = (await client.commit(replace.fencingToken)).id;
        expect((await client.waitForOperation(ids.replace, 60_000)).state).toBe("SUCCEEDED");
      } finally {
        // Killing strace would leave the server running untraced: kill the server (the first process in the trace).
        const serverPid = Number(/^(\d+)/.exec(readFileSync(traceFile, "utf8"))?.[1]);
        if (serverPid) process.kill(serverPid, "SIGKILL");
        await traced.waitForExit();
      }
      trace = readFileSync(traceFile, "utf8");
      rmSync(traceFile);
      sends = sentData(trace, (descriptor) => new RegExp(`^\\d+<TCP:\\[[^\\]]*:${server.port}->`).test(descriptor));
    }, 240_000);

    afterAll(async () => {
      await server?.close();
    });

    /** The first answer whose bytes match. */
    const answer = (label: Promised, matches: (data: string) => boolean) => {
      const found = sends.find((send) => matches(send.data));
      if (!found) throw new Error(`no answer found for ${label}`);
      return { line: found.line, label };
    };
    const reportsSucceeded = (id: string) => (data: string) =>
      data.includes(`"id":"${id}"`) && data.includes(`"state":"SUCCEEDED"`);

    it("loses no database commit at any answer: the database after a power loss is the one a kill -9 leaves", () => {
      const states = crashStatesAt(
        trace,
        dataDir,
        initial,
        sends.map((send) => ({ line: send.line, label: send.line })),
      );
      // At least the scenario's own answers: 3 locks, 2 tus creations and 4 PATCHes, 2 commits,
      // startInboundTransfer, the download and one poll of each transfer (more polls as the transfers take longer).
      expect(states.length).toBeGreaterThanOrEqual(17);
      const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "smsync-crash-")));
      const failures: string[] = [];
      try {
        for (const state of states) {
          const contentsOf = (tree: typeof state.tree, index: number) => {
            const dir = path.join(scratch, `${state.line}-${index}`);
            writeTree(tree, dir);
            return databaseContents(path.join(dir, "smsync.db"));
          };
          const afterPowerLoss = contentsOf(state.tree, 0);
          const afterKill = contentsOf(state.processCrash, 1);
          if (afterPowerLoss.integrity !== "ok")
            failures.push(`at trace line ${state.line}: ${afterPowerLoss.integrity}`);
          for (const [table, rows] of Object.entries(afterKill.tables)) {
            if (afterPowerLoss.tables[table] !== rows)
              failures.push(`at trace line ${state.line}: table ${table} differs`);
          }
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      expect(failures).toEqual([]);
    });

    it("keeps, after a restart, what each answer that promises something reported", async () => {
      const points = [
        answer("lastPatch", (data) => data.startsWith("HTTP/1.1 204") && /upload-offset: 300000\r\n/i.test(data)),
        answer("commit", (data) => data.includes(`"commit":{"id":"${ids.outbound}"`)),
        answer("uploaded", reportsSucceeded(ids.outbound)),
        answer("downloaded", reportsSucceeded(ids.inbound)),
        answer("replaced", reportsSucceeded(ids.replace)),
      ];
      const failures: string[] = [];
      for (const state of crashStatesAt(trace, dataDir, initial, points)) {
        const crashed = await ProcessServer.create();
        try {
          writeTree(state.tree, crashed.dir);
          await crashed.start();
          const client = new TestGraphQLClient(crashed.url, user.client.token);
          const problems = await broken(state.label, crashed, client).catch((error: Error) => [`${error.message}`]);
          failures.push(...problems.map((problem) => `${state.label} (trace line ${state.line}): ${problem}`));
        } finally {
          await crashed.close();
        }
      }
      expect(failures).toEqual([]);
    }, 240_000);

    /** SQLite's integrity check, and each table's rows (sorted, as JSON). */
    function databaseContents(file: string): { integrity: string; tables: Record<string, string> } {
      const database = new Sqlite(file);
      try {
        const integrity = String(database.pragma("integrity_check", { simple: true }));
        const names = database
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .pluck()
          .all() as string[];
        const tables = Object.fromEntries(
          names.map((name) => [
            name,
            JSON.stringify(
              database
                .prepare(`SELECT * FROM "${name}"`)
                .all()
                .map((row) => JSON.stringify(row))
                .sort(),
            ),
          ]),
        );
        return { integrity, tables };
      } finally {
        database.close();
      }
    }

    /** What a server started on the crash state at `label` has lost of what that answer reported. */
    async function broken(label: Promised, crashed: ProcessServer, client: TestGraphQLClient): Promise<string[]> {
      const problems: string[] = [];
      const indexed = async () => (await client.fileIndex()).files.find((file) => file.fileUUID === fileUUID);
      const downloadSha = async () => {
        const response = await fetch(`${crashed.url}/downloads/${fileUUID}/0`, {
          headers: { authorization: `Bearer ${client.token}` },
        });
        return response.ok ? sha256Hex(Buffer.from(await response.arrayBuffer())) : `HTTP ${response.status}`;
      };
      switch (label) {
        case "lastPatch": {
          const head = await tusRequest(`${crashed.url}${ids.uploadPath}`, client.token!, "HEAD");
          if (head.headers.get("upload-offset") !== String(content.length))
            problems.push(`the upload's offset is ${head.headers.get("upload-offset")} (HTTP ${head.status})`);
          break;
        }
        case "commit": {
          const operation = await client.operation(ids.outbound);
          if (!operation) problems.push("the committed transfer is gone");
          else if ((await client.waitForOperation(ids.outbound, 60_000)).state !== "SUCCEEDED")
            problems.push("the committed transfer did not succeed after the restart");
          break;
        }
        case "uploaded": {
          const file = await indexed();
          if (file?.sha256 !== sha256Hex(content) || file.version !== 0)
            problems.push(`the index has ${JSON.stringify(file)}`);
          const lock = await client.lock();
          const inbound = await client.startInboundTransfer(lock.fencingToken, [{ fileUUID, version: 0 }]);
          const done = await client.waitForOperation(inbound.id, 60_000);
          if (done.state !== "SUCCEEDED")
            problems.push(`a download of the uploaded file ${done.state}: ${done.errorCode} ${done.errorMessage}`);
          else if ((await downloadSha()) !== sha256Hex(content)) problems.push("the downloaded bytes differ");
          break;
        }
        case "downloaded":
          if ((await downloadSha()) !== sha256Hex(content))
            problems.push(`the staged download is not served whole: ${await downloadSha()}`);
          break;
        case "replaced": {
          const file = await indexed();
          if (file?.version !== 1 || file.sha256 !== sha256Hex(second))
            problems.push(`the index has ${JSON.stringify(file)}`);
          const firstObjects = readdirSync(crashed.cloudDir, { recursive: true, encoding: "utf8" }).filter((name) =>
            name.includes(`${fileUUID}.v0`),
          );
          if (firstObjects.length > 0)
            problems.push(`the first version's object is back in the cloud: ${firstObjects.join(", ")}`);
          break;
        }
      }
      return problems;
    }
  },
);
