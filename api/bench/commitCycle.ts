// One device's cycle of the control-plane benches: lock, a batch of small
// files (POST /upload-batches), commit, SUCCEEDED on the transferProgress
// subscription, unlock. A device waiting for the lock either waits in the
// server (lock's waitSeconds) or polls after the retryAfterSeconds of each
// LOCK_HELD, as the SDK does.
import type { Client } from "graphql-ws";
import { batchEntry, TestGraphQLClient, uploadBatchOf } from "@smsync/testkit";
import { sleep } from "@smsync/testkit/bench";
import { connect, followUntilEnded } from "./transferProgress.ts";

export class ControlPlaneBenchError extends Error {
  override name = "ControlPlaneBenchError";
}

interface GraphQLAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number } }[];
}

export async function graphql<T>(client: TestGraphQLClient, query: string, variables: Record<string, unknown> = {}) {
  return (await client.request(query, variables)) as GraphQLAnswer<T>;
}

export function required<T>(answer: GraphQLAnswer<T>, what: string): T {
  if (answer.errors?.length || !answer.data) {
    throw new ControlPlaneBenchError(`${what}: ${JSON.stringify(answer.errors)}`);
  }
  return answer.data;
}

const waitingLock = `mutation($key: String!, $wait: Int) {
  lock(idempotencyKey: $key, ttlSeconds: 600, waitSeconds: $wait) { fencingToken }
}`;
// Without waitSeconds, so that a polling device can measure a server that does not know it.
const pollingLock = `mutation($key: String!) { lock(idempotencyKey: $key, ttlSeconds: 600) { fencingToken } }`;
const commitMutation = `mutation($key: String!, $token: Int!) { commit(idempotencyKey: $key, fencingToken: $token) { id } }`;
const unlockMutation = `mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`;

export interface Device {
  client: TestGraphQLClient;
  token: string;
  ws: Client;
}

export async function deviceOf(url: string, token: string): Promise<Device> {
  return { client: new TestGraphQLClient(url, token), token, ws: await connect(url, token) };
}

export interface CycleOptions {
  filesPerCommit: number;
  fileBytes: number;
  /** 0: poll after each LOCK_HELD's retryAfterSeconds; more: wait in the server up to this long a call. */
  lockWaitSeconds: number;
}

export interface Tally {
  commits: number;
  files: number;
  lockAttempts: number;
  lockWaits: number[];
  /** Waits for the lock still running at the deadline (how long they had waited then). */
  unfinishedWaits: number[];
  /** Devices granted the lock at least once. */
  served: Set<Device>;
  toSucceeded: number[];
  /** From asking for the lock to SUCCEEDED. */
  cycles: number[];
}

export function newTally(): Tally {
  return {
    commits: 0,
    files: 0,
    lockAttempts: 0,
    lockWaits: [],
    unfinishedWaits: [],
    served: new Set(),
    toSucceeded: [],
    cycles: [],
  };
}

/** Tries until granted: the grant's fencing token; null once the deadline passed without one. */
async function lockPatiently(device: Device, waitSeconds: number, deadline: number, tally: Tally) {
  while (performance.now() < deadline) {
    tally.lockAttempts++;
    const wait = Math.min(waitSeconds, Math.ceil((deadline - performance.now()) / 1000));
    const answer = await graphql<{ lock: { fencingToken: number } }>(
      device.client,
      wait > 0 ? waitingLock : pollingLock,
      { key: crypto.randomUUID(), ...(wait > 0 ? { wait } : {}) },
    );
    const [error] = answer.errors ?? [];
    if (error?.extensions?.code === "LOCK_HELD") {
      // As the SDK does: the hint, at most 5 s (its default lockRetryMaxMs).
      if (waitSeconds === 0) await sleep(Math.min(5000, (error.extensions.retryAfterSeconds ?? 1) * 1000));
      continue;
    }
    return required(answer, "lock").lock.fencingToken;
  }
  return null;
}

export async function oneCycle(
  device: Device,
  baseUrl: string,
  options: CycleOptions,
  deadline: number,
  tally: Tally,
): Promise<void> {
  const lockStarted = performance.now();
  const fencingToken = await lockPatiently(device, options.lockWaitSeconds, deadline, tally);
  // Still waiting at the deadline: the device stops; its wait is not a cycle, but it counts among the waits.
  if (fencingToken === null) {
    tally.unfinishedWaits.push(performance.now() - lockStarted);
    return;
  }
  tally.lockWaits.push(performance.now() - lockStarted);
  tally.served.add(device);

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
  tally.cycles.push(ended.at - lockStarted);

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

/** Every device cycles until the deadline; resolves when the last cycle ended. */
export async function cycleUntil(devices: Device[], baseUrl: string, options: CycleOptions, seconds: number) {
  const tally = newTally();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    devices.map(async (device) => {
      while (performance.now() < deadline) await oneCycle(device, baseUrl, options, deadline, tally);
    }),
  );
  return { tally, seconds: (performance.now() - started) / 1000 };
}
