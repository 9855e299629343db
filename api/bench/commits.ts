// Figure 2: the protocol's upload batch end to end for N small files: the
// upload phase (N tus uploads with tus-js-client, one after another), then
// commit -> the outbound transfer to the cloud -> SUCCEEDED, followed by the
// transferProgress subscription over graphql-ws as the SDK will follow it.
import { sha256Hex, type TestServer, tusUpload } from "@smsync/testkit";
import { connect, followUntilEnded } from "./transferProgress.ts";
import { smallFile } from "./content.ts";
import { collectGarbage, median, progress } from "@smsync/testkit/bench";

export interface CommitOptions {
  fileCounts: number[];
  fileBytes: number;
  reps: number;
}

export interface CommitRun {
  uploadMs: number;
  commitResponseMs: number;
  commitToSucceededMs: number;
}

export interface CommitRow {
  files: number;
  fileBytes: number;
  runs: CommitRun[];
  medianUploadMs: number;
  medianCommitResponseMs: number;
  medianCommitToSucceededMs: number;
  minCommitToSucceededMs: number;
  maxCommitToSucceededMs: number;
}

async function oneBatch(server: TestServer, files: Buffer[], hashes: string[]): Promise<CommitRun> {
  const device = await server.newUser();
  const ws = await connect(server.url, device.token!);
  try {
    const { fencingToken } = await device.lock(600);

    const uploadStarted = performance.now();
    for (const [index, content] of files.entries()) {
      await tusUpload(server.url, device.token!, { version: 0, content, sha256: hashes[index], fencingToken });
    }
    const uploadMs = performance.now() - uploadStarted;

    const commitStarted = performance.now();
    const operation = await device.commit(fencingToken);
    const commitResponseMs = performance.now() - commitStarted;
    const ended = await followUntilEnded(ws, operation.id, 300_000);
    const commitToSucceededMs = ended.at - commitStarted;

    // Checked after the clock stopped: it really went to the cloud, all of it.
    const final = await device.operation(operation.id);
    if (ended.state !== "SUCCEEDED" || final?.state !== "SUCCEEDED" || final.filesDone !== files.length) {
      throw new Error(`commit of ${files.length} files ended ${ended.state}: ${JSON.stringify(final)}`);
    }
    return { uploadMs, commitResponseMs, commitToSucceededMs };
  } finally {
    await ws.dispose();
  }
}

export async function measureCommits(server: TestServer, options: CommitOptions): Promise<CommitRow[]> {
  const rows: CommitRow[] = [];
  // Warm-up (not measured).
  await oneBatch(server, [smallFile(options.fileBytes, 0)], [sha256Hex(smallFile(options.fileBytes, 0))]);
  for (const count of options.fileCounts) {
    const files = Array.from({ length: count }, (_, index) => smallFile(options.fileBytes, index));
    const hashes = files.map(sha256Hex);
    const runs: CommitRun[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      collectGarbage();
      const run = await oneBatch(server, files, hashes);
      runs.push(run);
      progress(
        `commit: rep ${rep + 1}/${options.reps} ${count} file(s): upload ${run.uploadMs.toFixed(0)} ms, ` +
          `commit -> SUCCEEDED ${run.commitToSucceededMs.toFixed(0)} ms`,
      );
    }
    const toSucceeded = runs.map((run) => run.commitToSucceededMs);
    rows.push({
      files: count,
      fileBytes: options.fileBytes,
      runs,
      medianUploadMs: median(runs.map((run) => run.uploadMs)),
      medianCommitResponseMs: median(runs.map((run) => run.commitResponseMs)),
      medianCommitToSucceededMs: median(toSucceeded),
      minCommitToSucceededMs: Math.min(...toSucceeded),
      maxCommitToSucceededMs: Math.max(...toSucceeded),
    });
  }
  return rows;
}
