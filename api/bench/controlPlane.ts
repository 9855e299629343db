// Figure 4: the control plane, what a request costs the server apart from
// moving bytes. Three measurements of one run, side by side:
//   (a) N devices of M users, each looping lock -> upload a batch of small
//       files (POST /upload-batches) -> commit -> SUCCEEDED (the
//       transferProgress subscription) -> unlock: commits/s and files/s;
//   (b) fileIndex of an account of K files at concurrency C: req/s, p50/p99;
//   (c) a bare graphql-yoga server answering { __typename } at the same
//       concurrency, the floor a GraphQL request cannot go below here.
// The smsync server runs in its own process (as `npm start` runs it, on the
// test database: SQLite, or PostgreSQL with SMSYNC_TEST_DATABASE), the bare
// server in another; the load comes from the bench process over 127.0.0.1.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { addDevice, addUser } from "@smsync/api";
import { batchEntry, ProcessServer, sourceNodeOptions, TestGraphQLClient, uploadBatchOf } from "@smsync/testkit";
import { onCleanup, progress, trackChild } from "@smsync/testkit/bench";
import { ControlPlaneBenchError, cycleUntil, deviceOf, type CycleOptions, type Device } from "./commitCycle.ts";
import { runLoad, type LoadResult } from "./loadLoop.ts";
import { processCpuMs } from "./processCpu.ts";
import { percentile } from "./percentile.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

export interface ControlPlaneOptions extends CycleOptions {
  devices: number;
  users: number;
  commitSeconds: number;
  indexFiles: number;
  concurrency: number;
  /** Each read measurement (fileIndex, bare) runs this long per round; the rounds alternate them. */
  readSeconds: number;
  readRounds: number;
  /** Extra node flags for the server process, e.g. --cpu-prof --cpu-prof-dir=<dir>. */
  serverNodeFlags: string[];
}

export interface CommitLoopResult {
  commits: number;
  files: number;
  seconds: number;
  commitsPerSecond: number;
  filesPerSecond: number;
  lockWaitP50Ms: number;
  lockWaitP99Ms: number;
  commitToSucceededP50Ms: number;
  commitToSucceededP99Ms: number;
  lockAttempts: number;
  /** The server process's CPU time over the loop, per commit (its lock calls, uploads and transfer included). */
  serverCpuMsPerCommit: number;
}

export interface ControlPlaneResult {
  commitLoop: CommitLoopResult;
  fileIndex: LoadResult;
  /** The server process's CPU time over the fileIndex rounds, per request. */
  fileIndexServerCpuMs: number;
  bare: LoadResult;
  /** fileIndex req/s over bare req/s, the rounds pooled. */
  ratio: number;
}

const unlimited = {
  SMSYNC_RATE_LIMIT_ADDRESS: "0",
  SMSYNC_RATE_LIMIT_DEVICE: "0",
  SMSYNC_RATE_LIMIT_USER: "0",
  SMSYNC_IN_FLIGHT_PER_DEVICE: "0",
};
const fileIndexQuery = `{ fileIndex { eventSeq files { fileUUID cloudFileName mimeType appMetaData version deleted size sha256 updatedAt } } }`;

async function commitLoop(server: ProcessServer, devices: Device[], options: ControlPlaneOptions) {
  const { tally, seconds } = await cycleUntil(devices, server.url, options, options.commitSeconds);
  return {
    commits: tally.commits,
    files: tally.files,
    seconds,
    commitsPerSecond: tally.commits / seconds,
    filesPerSecond: tally.files / seconds,
    lockWaitP50Ms: percentile(tally.lockWaits, 0.5),
    lockWaitP99Ms: percentile(tally.lockWaits, 0.99),
    commitToSucceededP50Ms: percentile(tally.toSucceeded, 0.5),
    commitToSucceededP99Ms: percentile(tally.toSucceeded, 0.99),
    lockAttempts: tally.lockAttempts,
  };
}

/** An account of `count` committed files, through the protocol (one batch, one commit). */
async function indexedAccount(server: ProcessServer, count: number): Promise<string> {
  const created = await addUser(server.db(), "indexed");
  const client = new TestGraphQLClient(server.url, created.token);
  const { fencingToken } = await client.lock(600);
  const entries = Array.from({ length: count }, (_, index) =>
    batchEntry(Buffer.from(`file ${index}`), { appMetaData: JSON.stringify({ index }) }),
  );
  const uploaded = await uploadBatchOf(server.url, created.token, fencingToken, entries);
  if (!uploaded.ok) throw new ControlPlaneBenchError(`index upload: HTTP ${uploaded.status} ${await uploaded.text()}`);
  const operation = await client.waitForOperation((await client.commit(fencingToken)).id, 120_000);
  if (operation.state !== "SUCCEEDED") throw new ControlPlaneBenchError(`index commit ended ${operation.state}`);
  const files = (await client.fileIndex()).files.length;
  if (files !== count) throw new ControlPlaneBenchError(`the index account has ${files} files, not ${count}`);
  return created.token;
}

async function startBareYoga(): Promise<string> {
  const child = trackChild(
    spawn(process.execPath, [...sourceNodeOptions, path.join(benchDir, "bareYoga.ts")], {
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  onCleanup("bare yoga process", () => {
    child.kill("SIGKILL");
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").once("data", (text: string) => resolve(text.trim()));
    child.once("exit", (code) => reject(new ControlPlaneBenchError(`bare yoga exited (${code}) before listening`)));
  });
  return `http://127.0.0.1:${port}`;
}

function pooled(results: LoadResult[]): LoadResult {
  const requests = results.reduce((sum, result) => sum + result.requests, 0);
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  // Percentiles of the pooled sample are not kept; the median of the rounds' is close enough for a report.
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    p50Ms: middle(results.map((result) => result.p50Ms)),
    p99Ms: middle(results.map((result) => result.p99Ms)),
  };
}

function answerCheck(what: string) {
  return (status: number, body: string) => {
    if (status !== 200 || body.includes('"errors"')) {
      throw new ControlPlaneBenchError(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
    }
  };
}

export async function measureControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneResult> {
  const server = await ProcessServer.create();
  onCleanup("control-plane server", () => server.close());
  progress(`control plane: starting the server process ${options.serverNodeFlags.join(" ")}`);
  // node refuses --cpu-prof in NODE_OPTIONS: a shell puts the flags right after node itself.
  const launcher = options.serverNodeFlags.length
    ? ["/bin/sh", "-c", `exec "$0" ${options.serverNodeFlags.map((flag) => `'${flag}'`).join(" ")} "$@"`]
    : [];
  // The server's capacity is measured here, not its rate limits (figure 5 runs with them).
  await server.start(unlimited, launcher);
  const bareUrl = await startBareYoga();

  progress(`control plane: an account of ${options.indexFiles} files`);
  const indexToken = await indexedAccount(server, options.indexFiles);

  const reads: { fileIndex: LoadResult[]; bare: LoadResult[] } = { fileIndex: [], bare: [] };
  const serverPid = server.current!.pid;
  let fileIndexCpuMs = 0;
  const json = { "content-type": "application/json" };
  for (let round = 0; round < options.readRounds; round++) {
    progress(
      `control plane: round ${round + 1}/${options.readRounds}: bare yoga, then fileIndex, ${options.readSeconds} s each`,
    );
    reads.bare.push(
      await runLoad({
        url: `${bareUrl}/graphql`,
        headers: json,
        body: JSON.stringify({ query: "{ __typename }" }),
        concurrency: options.concurrency,
        durationMs: options.readSeconds * 1000,
        check: answerCheck("bare yoga"),
      }),
    );
    const cpuBefore = processCpuMs(serverPid);
    reads.fileIndex.push(
      await runLoad({
        url: `${server.url}/graphql`,
        headers: { ...json, authorization: `Bearer ${indexToken}` },
        body: JSON.stringify({ query: fileIndexQuery }),
        concurrency: options.concurrency,
        durationMs: options.readSeconds * 1000,
        check: answerCheck("fileIndex"),
      }),
    );
    fileIndexCpuMs += processCpuMs(serverPid) - cpuBefore;
  }

  progress(`control plane: ${options.devices} devices of ${options.users} users, connecting`);
  const devices: Device[] = [];
  for (let index = 0; index < options.devices; index++) {
    const userName = `user${index % options.users}`;
    const created =
      index < options.users
        ? await addUser(server.db(), userName)
        : await addDevice(server.db(), userName, `device${index}`);
    devices.push(await deviceOf(server.url, created.token));
  }
  progress(`control plane: commit loop for ${options.commitSeconds} s`);
  let commitLoopResult: CommitLoopResult;
  const loopCpuBefore = processCpuMs(serverPid);
  try {
    const loop = await commitLoop(server, devices, options);
    commitLoopResult = { ...loop, serverCpuMsPerCommit: (processCpuMs(serverPid) - loopCpuBefore) / loop.commits };
  } finally {
    for (const device of devices) await device.ws.dispose();
  }
  // Gracefully, so that a --cpu-prof of the server is written.
  await server.stop();

  const fileIndex = pooled(reads.fileIndex);
  const bare = pooled(reads.bare);
  return {
    commitLoop: commitLoopResult,
    fileIndex,
    fileIndexServerCpuMs: fileIndexCpuMs / fileIndex.requests,
    bare,
    ratio: fileIndex.requestsPerSecond / bare.requestsPerSecond,
  };
}
