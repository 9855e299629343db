// The server down for much longer than the backoff cap, seen through the
// cutting proxy: the device sits in networkNotConnected with its batch kept,
// tries again at the capped backoff (never faster, and never giving up or
// waiting longer), and when the server is back the batch goes up with no
// call from the app; setOnline(true) tries again at once instead of waiting
// out the backoff. Both retry loops are checked: the outbox's (a mutation
// without an answer) and the engine's passes (a query without an answer).
//
// Time is moved, not waited for: the device waits on a MovableClock, its
// backoffs are minutes long (so no wait ends while the test runs unless the
// test moves the clock past it), and the test reads each wait the device
// sets, moves the clock past it, and sees the next one set (a wait is set
// only after an attempt failed).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MovableClock } from "../../src/time/MovableClock.ts";
import type { TimerPurpose } from "../../src/time/clock.ts";
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

const minute = 60_000;
/** The backoff of the tests that watch the retries: ceilings from 1 min doubling to 8 min. */
const backoff = { initialMs: minute, maxMs: 8 * minute };
/**
 * The jitter, fixed: each delay is three quarters of its ceiling (full jitter
 * draws from 0 to the ceiling, so with Math.random no delay is known).
 */
const jitter = 0.75;
/** The waits after the first eight failures: doubling, then at the cap (never above it, and never giving up). */
const cappedDelays = [1, 2, 4, 8, 8, 8, 8, 8].map((ceiling) => ceiling * minute * jitter);

/**
 * The waits the device sets for this purpose while each attempt fails, as
 * many as cappedDelays: each read as it is set, then the clock moved past it
 * (the last one is left pending). `first` is the first wait, taken before the
 * step that sets it.
 */
async function waitsWhileFailing(
  clock: MovableClock,
  purpose: TimerPurpose,
  first: ReturnType<MovableClock["nextTimer"]>,
) {
  const delays: number[] = [];
  let next = first;
  for (;;) {
    const timer = await next;
    delays.push(timer.ms);
    if (delays.length === cappedDelays.length) return delays;
    next = clock.nextTimer(purpose);
    clock.advance(timer.ms);
  }
}

/** A device through the proxy with a committed batch of one file; returns it and the file. */
async function deviceWithBatch(options: { backoff: { initialMs: number; maxMs: number }; clock: MovableClock }) {
  const user = await harness.newUser();
  const device = await harness.openClient(user, {
    serverUrl: proxy.url,
    backoff: options.backoff,
    random: () => jitter,
    clock: options.clock,
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

describe("the server down for longer than the backoff cap", () => {
  it("a mutation without an answer (the lock): the outbox retries at the capped backoff; once the server is back the batch goes up on its own", async () => {
    const clock = new MovableClock();
    const scenario = await deviceWithBatch({ backoff, clock });
    const { device } = scenario;
    let last = 0;
    try {
      const first = clock.nextTimer("outboxBackoff");
      await syncWhileTheServerIsDown(device);
      const delays = await waitsWhileFailing(clock, "outboxBackoff", first);
      expect(delays).toEqual(cappedDelays);
      last = delays.at(-1)!;
      await expectWaitingOffline(device);
      expect((await device.store.list("outbox")).map(({ value }) => value.operationName)).toEqual(["Lock"]);
    } finally {
      proxy.refuse(false);
    }
    // Back: nothing from the app, the next retry (once its wait is over) sends the batch.
    const idle = modeReached(device.client, "idle");
    clock.advance(last);
    await idle;
    await expectBatchUploaded(scenario);
  });

  it("a query without an answer (fileIndex): the engine's passes retry at the capped backoff; once the server answers the batch goes up on its own", async () => {
    const clock = new MovableClock();
    const scenario = await deviceWithBatch({ backoff, clock });
    const { device } = scenario;
    // Every fileIndex answer is lost (the lock, a mutation, still goes through): each pass fails at its second step.
    void proxy.cutAfter({
      direction: "down",
      afterBytes: 0,
      match: /^POST \/graphql /,
      body: /"operationName":"FileIndex"/,
      times: Infinity,
    });
    let last = 0;
    try {
      const first = clock.nextTimer("passRetry");
      const offline = modeReached(device.client, "networkNotConnected");
      void device.client.sync();
      await offline;
      const delays = await waitsWhileFailing(clock, "passRetry", first);
      expect(delays).toEqual(cappedDelays);
      last = delays.at(-1)!;
      await expectWaitingOffline(device);
    } finally {
      proxy.disarm();
    }
    const idle = modeReached(device.client, "idle");
    clock.advance(last);
    await idle;
    await expectBatchUploaded(scenario);
  });
});

describe("setOnline(true) while waiting out a long backoff", () => {
  /**
   * A backoff of an hour, on a clock the test never moves: only setOnline can
   * end the wait before the test's timeout.
   */
  const longBackoff = { initialMs: 60 * minute, maxMs: 60 * minute };

  it("the outbox's wait (the lock unanswered) ends at once and the batch goes up", async () => {
    const clock = new MovableClock();
    const scenario = await deviceWithBatch({ backoff: longBackoff, clock });
    const { device } = scenario;
    const waiting = clock.nextTimer("outboxBackoff");
    try {
      await syncWhileTheServerIsDown(device);
      await waiting;
      await expectWaitingOffline(device);
    } finally {
      proxy.refuse(false);
    }
    const idle = modeReached(device.client, "idle");
    device.client.setOnline(true);
    await idle;
    await expectBatchUploaded(scenario);
    expect(clock.pending, "the wait was cut short, not left running").toEqual([]);
  });

  it("the engine's wait (a pass failed at fileIndex) ends at once and the batch goes up", async () => {
    const clock = new MovableClock();
    const scenario = await deviceWithBatch({ backoff: longBackoff, clock });
    const { device } = scenario;
    const cut = proxy.cutAfter({
      direction: "down",
      afterBytes: 0,
      match: /^POST \/graphql /,
      body: /"operationName":"FileIndex"/,
    });
    const waiting = clock.nextTimer("passRetry");
    void device.client.sync();
    await cut;
    await waiting;
    await expectWaitingOffline(device);
    const idle = modeReached(device.client, "idle");
    device.client.setOnline(true);
    await idle;
    await expectBatchUploaded(scenario);
    expect(clock.pending, "the wait was cut short, not left running").toEqual([]);
  });
});
