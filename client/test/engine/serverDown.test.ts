// The server down for much longer than the backoff cap, seen through the
// cutting proxy: the device sits in networkNotConnected with its batch kept,
// tries again at the capped backoff (never faster, and never giving up or
// waiting longer), and when the server is back the batch goes up with no
// call from the app; setOnline(true) tries again at once instead of waiting
// out the backoff. Both retry loops are checked: the outbox's (a mutation
// without an answer) and the engine's passes (a query without an answer).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SmsyncClient } from "../../src/SmsyncClient.ts";
import { startCuttingProxy, type CuttingProxy } from "@smsync/testkit";
import { startEngineHarness, type EngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { expectNothingPending, modeReached } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

let harness: EngineHarness;
let proxy: CuttingProxy;

beforeAll(async () => {
  harness = await startEngineHarness();
  proxy = await startCuttingProxy(new URL(harness.server.url).port);
});
afterAll(async () => {
  await proxy?.close();
  await harness?.close();
});

const text = { mimeType: "text/plain" };

/** The backoff of the tests that watch the retries: ceilings from 20 ms doubling to 200 ms. */
const backoff = { initialMs: 20, maxMs: 200 };
/**
 * The jitter, fixed: each delay is three quarters of its ceiling (full jitter
 * draws from 0 to the ceiling, so with Math.random no delay has a floor to check).
 */
const jitter = 0.75;
/** How long the server stays down: twenty times the cap. */
const downForMs = 4000;
/**
 * Slack for a timer that fires late on a busy machine. A backoff without the
 * cap would exceed it within the window: its delays double from 15 ms to
 * 1920 ms by 4 s.
 */
const lateTimerSlackMs = 800;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A device through the proxy with a committed batch of one file; returns it and the file. */
async function deviceWithBatch(options: { backoff: { initialMs: number; maxMs: number } }) {
  const user = await harness.newUser();
  const device = await harness.openClient(user, {
    serverUrl: proxy.url,
    backoff: options.backoff,
    random: () => jitter,
  });
  const fileUUID = randomUUID();
  const content = Buffer.from(`queued while the server is down ${fileUUID}`);
  await device.client.uploadData(fileUUID, content, { cloudFileName: `${fileUUID}.txt`, ...text });
  await device.client.commit();
  return { user, device, fileUUID, content };
}

async function expectBatchUploaded(scenario: Awaited<ReturnType<typeof deviceWithBatch>>): Promise<void> {
  const { user, device, fileUUID, content } = scenario;
  const index = (await user.fileIndex()).files.map((file: { fileUUID: string; version: number; sha256: string }) => ({
    fileUUID: file.fileUUID,
    version: file.version,
    sha256: file.sha256,
  }));
  expect(index).toEqual([{ fileUUID, version: 0, sha256: sha256Hex(content) }]);
  await expectNothingPending(device.store);
  expect(device.client.mode).toBe("idle");
}

/** The server goes down (connections refused, open ones dropped, counters reset); the device syncs and goes to networkNotConnected. */
async function syncWhileTheServerIsDown(device: TestDevice): Promise<void> {
  proxy.refuse(true);
  proxy.cutAll();
  proxy.resetStats();
  const offline = modeReached(device.client, "networkNotConnected");
  void device.client.sync();
  await offline;
}

/** The batch is kept where it waits, and the mode is persisted. */
async function expectWaitingOffline(device: TestDevice): Promise<void> {
  expect(device.client.mode).toBe("networkNotConnected");
  expect(await device.store.get("meta", "mode")).toBe("networkNotConnected");
  const waiting =
    (await device.store.list("committedUploads")).length + (await device.store.list("beingUploaded")).length;
  expect(waiting, "the batch is kept").toBeGreaterThan(0);
}

/** Failures before the backoff ceiling reaches its cap: the delays after them are shorter by design. */
const failuresBeforeTheCap = Math.ceil(Math.log2(backoff.maxMs / backoff.initialMs));

/**
 * delays: the waits after each failure, in order; sinceLastFailure: how long
 * the client has waited since its last one (a client that gave up shows it
 * there).
 */
function expectCappedBackoff(delays: number[], sinceLastFailure: number): void {
  const atTheCap = delays.slice(failuresBeforeTheCap);
  expect(atTheCap.length, "retries at the cap").toBeGreaterThanOrEqual(4);
  // Never faster than the delay the cap gives this jitter (5 ms for timer rounding)...
  expect(Math.min(...atTheCap)).toBeGreaterThanOrEqual(backoff.maxMs * jitter - 5);
  // ...and never slower than the cap: it keeps trying.
  expect(Math.max(...atTheCap, sinceLastFailure)).toBeLessThanOrEqual(backoff.maxMs + lateTimerSlackMs);
}

/** The gaps between consecutive times. */
function gaps(times: number[]): number[] {
  const gaps: number[] = [];
  let previous: number | undefined;
  for (const time of times) {
    if (previous !== undefined) gaps.push(time - previous);
    previous = time;
  }
  return gaps;
}

describe("the server down for longer than the backoff cap", () => {
  it("a mutation without an answer (the lock): the outbox retries at the capped backoff; once the server is back the batch goes up on its own", async () => {
    const scenario = await deviceWithBatch({ backoff });
    const { device } = scenario;
    try {
      await syncWhileTheServerIsDown(device);
      await sleep(downForMs); // the outage being observed
      await expectWaitingOffline(device);
      expect((await device.store.list("outbox")).map(({ value }) => value.operationName)).toEqual(["Lock"]);
      // Each attempt is a connection, refused at once: the gap between two is the delay after the first.
      const attempts = proxy.stats.connectedAt;
      expectCappedBackoff(gaps(attempts), Date.now() - attempts.at(-1)!);
    } finally {
      proxy.refuse(false);
    }
    // Back: nothing from the app, the next retry sends the batch.
    await modeReached(device.client, "idle");
    await expectBatchUploaded(scenario);
  });

  it("a query without an answer (fileIndex): the engine's passes retry at the capped backoff; once the server answers the batch goes up on its own", async () => {
    const scenario = await deviceWithBatch({ backoff });
    const { device } = scenario;
    // A pass fails (networkNotConnected), waits, starts again (synchronizing): the delay is between the two.
    const delays: number[] = [];
    let failedAt: number | null = null;
    const off = device.client.on("modeChanged", (event) => {
      if (event.mode === "networkNotConnected") failedAt = Date.now();
      if (event.mode === "synchronizing" && failedAt !== null) {
        delays.push(Date.now() - failedAt);
        failedAt = null;
      }
    });
    // Every fileIndex answer is lost (the lock, a mutation, still goes through): each pass fails at its second step.
    void proxy.cutAfter({
      direction: "down",
      afterBytes: 0,
      match: /^POST \/graphql /,
      body: /"operationName":"FileIndex"/,
      times: Infinity,
    });
    try {
      const offline = modeReached(device.client, "networkNotConnected");
      void device.client.sync();
      await offline;
      await sleep(downForMs);
      expectCappedBackoff(delays, failedAt === null ? 0 : Date.now() - failedAt);
      // Between two passes (each starts in synchronizing, then fails at fileIndex; the next waits three quarters of the cap).
      await modeReached(device.client, "networkNotConnected");
      await expectWaitingOffline(device);
    } finally {
      proxy.disarm();
    }
    await modeReached(device.client, "idle");
    off();
    await expectBatchUploaded(scenario);
  });
});

describe("setOnline(true) while waiting out a long backoff", () => {
  /** A backoff far longer than the test would wait: only setOnline can end it in time. */
  const longBackoff = { initialMs: 60_000, maxMs: 60_000 };
  /** A third of the delay the long backoff draws with the fixed jitter. */
  const wellBeforeTheBackoffMs = (longBackoff.initialMs * jitter) / 3;

  async function idleWellBeforeTheBackoff(client: SmsyncClient): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waitedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("not retried at once: still waiting for the backoff")),
        wellBeforeTheBackoffMs,
      );
    });
    try {
      await Promise.race([modeReached(client, "idle"), waitedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  it("the outbox's wait (the lock unanswered) ends at once and the batch goes up", async () => {
    const scenario = await deviceWithBatch({ backoff: longBackoff });
    const { device } = scenario;
    try {
      await syncWhileTheServerIsDown(device);
      await expectWaitingOffline(device);
      // One attempt, then the long wait (none, when the attempt went out on a keep-alive connection that cutAll had dropped).
      expect(proxy.stats.connections).toBeLessThanOrEqual(1);
    } finally {
      proxy.refuse(false);
    }
    const idle = idleWellBeforeTheBackoff(device.client);
    device.client.setOnline(true);
    await idle;
    await expectBatchUploaded(scenario);
  });

  it("the engine's wait (a pass failed at fileIndex) ends at once and the batch goes up", async () => {
    const scenario = await deviceWithBatch({ backoff: longBackoff });
    const { device } = scenario;
    const cut = proxy.cutAfter({
      direction: "down",
      afterBytes: 0,
      match: /^POST \/graphql /,
      body: /"operationName":"FileIndex"/,
    });
    const offline = modeReached(device.client, "networkNotConnected");
    void device.client.sync();
    await cut;
    await offline;
    await expectWaitingOffline(device);
    const idle = idleWellBeforeTheBackoff(device.client);
    device.client.setOnline(true);
    await idle;
    await expectBatchUploaded(scenario);
  });
});
