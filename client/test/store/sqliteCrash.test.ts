// Commit atomicity of SqliteStore against a real crash: a child process
// (test/support/sqliteCommitLoop.ts) commits large batches in a loop and is
// killed with SIGKILL at a random moment; the file must then hold exactly
// one whole batch, at least the last one the child reported committed.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { sourceNodeOptions } from "@smsync/testkit";
import { sequenceKey } from "../../src/store/ClientStore.ts";
import { SqliteStore } from "../../src/store/SqliteStore.ts";
import { sampleOutboxEntry } from "../support/sampleRecords.ts";

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const commitLoop = path.join(clientDir, "test/support/sqliteCommitLoop.ts");
const directory = mkdtempSync(path.join(tmpdir(), "smsync-sqlite-crash-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const keys = 300;
const rounds = 5;

interface Run {
  /** The batch numbers the child reported committed. */
  reported: number[];
  signal: NodeJS.Signals | null;
}

/**
 * Runs the commit loop until it has reported `batches` more commits, then
 * kills it at a random point of the next one (a random delay up to one
 * batch's duration, as measured in this run).
 */
function runAndKill(file: string, batches: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...sourceNodeOptions, commitLoop, file, String(keys)], {
      cwd: clientDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const reported: number[] = [];
    const reportedAt: number[] = [];
    let stdout = "";
    let stderr = "";
    let killing = false;
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split("\n");
      stdout = lines.pop()!;
      for (const line of lines) {
        reported.push(Number(line));
        reportedAt.push(performance.now());
      }
      if (!killing && reported.length >= batches) {
        killing = true;
        const [firstAt = 0] = reportedAt;
        const batchDuration = ((reportedAt.at(-1) ?? firstAt) - firstAt) / Math.max(1, reported.length - 1);
        setTimeout(() => child.kill("SIGKILL"), Math.random() * batchDuration);
      }
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (signal === "SIGKILL") resolve({ reported, signal });
      else reject(new Error(`the commit loop exited by itself (code ${code}): ${stderr}`));
    });
  });
}

describe("SqliteStore killed mid-commit", () => {
  it(`keeps every commit whole across ${rounds} SIGKILLs`, async () => {
    const file = path.join(directory, "store.sqlite");
    let previous = 0;
    for (let round = 1; round <= rounds; round++) {
      const { reported } = await runAndKill(file, 2 + Math.floor(Math.random() * 4));
      expect(reported[0], `round ${round}: the child resumes after the stored batch`).toBe(previous + 1);

      const store = await SqliteStore.open(file);
      const batch = await store.get("meta", "nextBatch");
      expect(batch, `round ${round}: a batch the child reported committed is kept`).toBeGreaterThanOrEqual(
        reported.at(-1)!,
      );
      // Nothing beyond the batch the child was writing when killed.
      expect(batch).toBeLessThanOrEqual(reported.at(-1)! + 1);
      const files = await store.list("files");
      expect(files.length).toBe(keys);
      const batches = new Set(files.map((entry) => entry.value.version));
      expect([...batches], `round ${round}: every key holds the same batch`).toEqual([batch]);
      expect(await store.list("outbox")).toEqual([{ key: sequenceKey(batch!), value: sampleOutboxEntry(batch!) }]);
      await store.close();
      previous = batch!;
    }
  });
});
