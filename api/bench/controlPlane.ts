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
import type { Client } from "graphql-ws";
import { addDevice, addUser } from "@smsync/api";
import { batchEntry, ProcessServer, sourceNodeOptions, TestGraphQLClient, uploadBatchOf } from "@smsync/testkit";
import { onCleanup, progress, sleep, trackChild } from "@smsync/testkit/bench";
import { runLoad, type LoadResult } from "./loadLoop.ts";
import { processCpuMs } from "./processCpu.ts";
import { percentile } from "./percentile.ts";
import { connect, followUntilEnded } from "./transferProgress.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

export interface ControlPlaneOptions {
  devices: number;
  users: number;
  filesPerCommit: number;
  fileBytes: number;
  commitSeconds: number;
  /** After LOCK_HELD, a device tries again after this long (the server's hint is whole seconds). */
  lockRetryMs: number;
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

export class ControlPlaneBenchError extends Error {
  override name = "ControlPlaneBenchError";
}

interface GraphQLAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function graphql<T>(client: TestGraphQLClient, query: string, variables: Record<string, unknown>) {
  return (await client.request(query, variables)) as GraphQLAnswer<T>;
}

function required<T>(answer: GraphQLAnswer<T>, what: string): T {
  if (answer.errors?.length || !answer.data) {
    throw new ControlPlaneBenchError(`${what}: ${JSON.stringify(answer.errors)}`);
  }
  return answer.data;
}

const lockMutation = `mutation($key: String!) { lock(idempotencyKey: $key, ttlSeconds: 600) { fencingToken } }`;
const commitMutation = `mutation($key: String!, $token: Int!) { commit(idempotencyKey: $key, fencingToken: $token) { id } }`;
const unlockMutation = `mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`;
const fileIndexQuery = `{ fileIndex { eventSeq files { fileUUID cloudFileName mimeType appMetaData version deleted size sha256 updatedAt } } }`;

interface Device {
  client: TestGraphQLClient;
  token: string;
  ws: Client;
}

interface Tally {
  commits: number;
  files: number;
  lockAttempts: number;
  lockWaits: number[];
  toSucceeded: number[];
}

/** Tries until granted: the grant's fencing token; null once the deadline passed without one. */
async function lockPatiently(device: Device, retryMs: number, deadline: number, tally: Tally): Promise<number | null> {
  while (performance.now() < deadline) {
    tally.lockAttempts++;
    const answer = await graphql<{ lock: { fencingToken: number } }>(device.client, lockMutation, {
      key: crypto.randomUUID(),
    });
    if (answer.errors?.[0]?.extensions?.code === "LOCK_HELD") {
      await sleep(retryMs);
      continue;
    }
    return required(answer, "lock").lock.fencingToken;
  }
  return null;
}

async function oneCycle(
  device: Device,
  baseUrl: string,
  options: ControlPlaneOptions,
  deadline: number,
  tally: Tally,
): Promise<void> {
  const lockStarted = performance.now();
  const fencingToken = await lockPatiently(device, options.lockRetryMs, deadline, tally);
  // Still waiting at the deadline: the device stops; its wait is not a cycle.
  if (fencingToken === null) return;
  tally.lockWaits.push(performance.now() - lockStarted);

  const entries = Array.from({ length: options.filesPerCommit }, () =>
    batchEntry(Buffer.from(crypto.getRandomValues(new Uint8Array(options.fileBytes)))),
  );
  const uploaded = await uploadBatchOf(baseUrl, device.token, fencingToken, entries);
  if (!uploaded.ok) throw new ControlPlaneBenchError(`upload batch: HTTP ${uploaded.status} ${await uploaded.text()}`);
  await uploaded.arrayBuffer();

  const commitStarted = performance.now();
  const commitAnswer = await graphql<{ commit: { id: string } }>(device.client, commitMutation, {
    key: crypto.randomUUID(),
    token: fencingToken,
  });
  const operationId = required(commitAnswer, "commit").commit.id;
  const ended = await followUntilEnded(device.ws, operationId, 120_000);
  if (ended.state !== "SUCCEEDED") throw new ControlPlaneBenchError(`commit ${operationId} ended ${ended.state}`);
  tally.toSucceeded.push(ended.at - commitStarted);

  required(
    await graphql<{ unlock: boolean }>(device.client, unlockMutation, {
      key: crypto.randomUUID(),
      token: fencingToken,
    }),
    "unlock",
  );
  tally.commits++;
  tally.files += options.filesPerCommit;
}

async function commitLoop(server: ProcessServer, devices: Device[], options: ControlPlaneOptions) {
  const tally: Tally = { commits: 0, files: 0, lockAttempts: 0, lockWaits: [], toSucceeded: [] };
  const started = performance.now();
  const deadline = started + options.commitSeconds * 1000;
  await Promise.all(
    devices.map(async (device) => {
      while (performance.now() < deadline) await oneCycle(device, server.url, options, deadline, tally);
    }),
  );
  // Until the last cycle ended: every counted commit is inside the time.
  const seconds = (performance.now() - started) / 1000;
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
  await server.start({}, launcher);
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
    devices.push({
      client: new TestGraphQLClient(server.url, created.token),
      token: created.token,
      ws: await connect(server.url, created.token),
    });
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
