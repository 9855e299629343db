// Live mode (src/engine/liveSync.ts) against a real server over a real
// WebSocket: a device in live mode gets another device's commits without
// calling sync(), is not woken by its own, runs one pass at a time through a
// burst, falls back to polling when its WebSocket is cut (HTTP still up) and
// stops on a refused token; suspended, in an error mode or stopped it runs
// no pass. (A restarted server: liveSyncRestart.test.ts.)
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { callerOf, type TestGraphQLClient } from "@smsync/testkit";
import type { LiveOptions } from "../../src/engine/liveSync.ts";
import { ServerError } from "../../src/errors.ts";
import { MovableClock } from "../../src/time/MovableClock.ts";
import { useProxiedEngineHarness, type OpenClientOptions } from "../support/engineHarness.ts";
import {
  connectionStates,
  putFile,
  recordLive,
  removeFile,
  savedContents,
  until,
  untilSettled,
} from "../support/liveDevices.ts";

const { harness, proxy } = useProxiedEngineHarness();

/** Every WebSocket upgrade (GET /graphql) through the proxy is cut; queries and mutations (POST) pass. */
const webSocketUpgrades = /^GET \/graphql/;

/** A device of the user in live mode, on its own MovableClock (time flows; the test reads its timers), with its record. */
async function openLive(raw: TestGraphQLClient, options: OpenClientOptions = {}, live: LiveOptions = { pollMs: 200 }) {
  const clock = new MovableClock();
  const device = await harness.openClient(raw, { clock, ...options });
  const record = recordLive(device.client);
  await device.client.startLive(live);
  expect(device.client.live).toBe(true);
  // The catch-up pass startLive began: let it end, then count from zero.
  await until("the catch-up pass", () => record.passes >= 1);
  await untilSettled(device, clock);
  record.passes = 0;
  return { ...device, clock, record };
}

/** A user's phone (A, not live) and laptop (B, live, with these options), and their raw clients. */
async function phoneAndLiveLaptop(options: OpenClientOptions = {}) {
  const phone = await harness.newUser();
  const laptop = await harness.newDevice(phone.userName);
  const a = await harness.openClient(phone);
  const b = await openLive(laptop, options);
  return { phone, laptop, a, b };
}

describe("live mode", () => {
  it("brings another device's file and deletion without sync(), telling each as a remoteChange", async () => {
    const { phone, a, b } = await phoneAndLiveLaptop();
    expect(connectionStates(b.record)).toEqual(["subscribed"]);
    const phoneId = (await callerOf(harness.server, phone.token!)).deviceId;

    const fileUUID = randomUUID();
    await putFile(a.client, fileUUID, "from the phone");
    await until("B saved the file", () => savedContents(b).get(fileUUID) === "from the phone");
    expect(b.record.remoteChanges).toEqual([
      expect.objectContaining({ deviceId: phoneId, files: [{ fileUUID, version: 0, deleted: false }] }),
    ]);

    await removeFile(a.client, fileUUID);
    await until("B applied the deletion", () => b.app.deleted.flat().some((file) => file.fileUUID === fileUUID));
    expect(b.record.remoteChanges).toHaveLength(2);
    expect(b.record.remoteChanges[1]).toMatchObject({
      deviceId: phoneId,
      files: [{ fileUUID, version: 0, deleted: true }],
    });
    expect(b.record.remoteChanges[1]!.seq).toBeGreaterThan(b.record.remoteChanges[0]!.seq);
    await untilSettled(b, b.clock);
    expect(b.record.passes).toBe(2);

    await b.client.stopLive();
    await b.client.stopLive(); // idempotent
    expect(b.client.live).toBe(false);
    expect(connectionStates(b.record)).toEqual(["subscribed", "stopped"]);
  });

  it("runs a pass for the app's commit, and is not woken again by its own commit's event", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const a = await openLive(phone);
    const b = await openLive(laptop);

    // A's commit alone (no sync()) starts its pass; B hears of it.
    const ofA = randomUUID();
    await a.client.uploadData(ofA, Buffer.from("a"), { cloudFileName: "a.txt", mimeType: "text/plain" });
    await a.client.commit();
    await until("B saved A's file", () => savedContents(b).has(ofA));
    // Then B commits: A hears of it after its own commit's event (one log, in order), so A has seen its own by then.
    const ofB = randomUUID();
    await b.client.uploadData(ofB, Buffer.from("b"), { cloudFileName: "b.txt", mimeType: "text/plain" });
    await b.client.commit();
    await until("A saved B's file", () => savedContents(a).has(ofB));
    await untilSettled(a, a.clock);

    // A's passes: one for its commit, one for B's; none for its own commit's event, which it did not tell.
    expect(a.record.passes).toBe(2);
    expect(a.record.remoteChanges.map((change) => change.files.map((file) => file.fileUUID))).toEqual([[ofB]]);
    expect(b.record.remoteChanges.map((change) => change.files.map((file) => file.fileUUID))).toEqual([[ofA]]);
  });

  it("takes a burst of changes arriving while its pass runs, one pass at a time", async () => {
    let release = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    let saving = 0;
    let mostAtOnce = 0;
    const { a, b } = await phoneAndLiveLaptop({
      async beforeSaveDownload() {
        mostAtOnce = Math.max(mostAtOnce, ++saving);
        try {
          await hold;
        } finally {
          saving--;
        }
      },
    });

    const first = randomUUID();
    await putFile(a.client, first, "first");
    await until("B's pass holds the first file", () => saving === 1);
    // Three more commits while B's pass is held in the app's callback.
    const burst = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, fileUUID] of burst.entries()) await putFile(a.client, fileUUID, `burst ${i}`);
    await until("B heard of all four", () => b.record.remoteChanges.length === 4);
    // Every wake has become a sync() that joined the held pass (its rerun): none is still scheduled.
    await until("no pass scheduled", () => !b.clock.pending.some((timer) => timer.purpose === "livePass"));
    release();

    await until("B saved all four", () => savedContents(b).size === 4);
    await untilSettled(b, b.clock);
    expect(savedContents(b)).toEqual(
      new Map([[first, "first"], ...burst.map((fileUUID, i): [string, string] => [fileUUID, `burst ${i}`])]),
    );
    expect(mostAtOnce).toBe(1);
    // The held pass, then the one rerun it owed the burst.
    expect(b.record.passes).toBe(2);
  });

  it("polls eventSeq while its WebSocket is cut (HTTP up), then subscribes again and is told what it missed", async () => {
    const { a, b } = await phoneAndLiveLaptop({ serverUrl: proxy.url });
    expect(connectionStates(b.record)).toEqual(["subscribed"]);

    const fileUUID = randomUUID();
    void proxy.cutAfter({ direction: "up", afterBytes: 0, match: webSocketUpgrades, times: Infinity });
    try {
      proxy.cutAll();
      await until("B polls", () => connectionStates(b.record).includes("polling"));
      await putFile(a.client, fileUUID, "while cut");
      // Only its polls can have told it: no WebSocket gets through.
      await until("B saved the file", () => savedContents(b).get(fileUUID) === "while cut");
      expect(b.record.remoteChanges).toEqual([]);
      expect(b.record.passes).toBeGreaterThan(0);
      expect(connectionStates(b.record)).toEqual(["subscribed", "polling"]);
    } finally {
      proxy.disarm();
    }
    // The next poll subscribes again, after the last seq it saw: the log replays the change it missed.
    await until("B subscribed again", () => connectionStates(b.record).at(-1) === "subscribed");
    await until("B told the missed change", () => b.record.remoteChanges.length === 1);
    expect(connectionStates(b.record)).toEqual(["subscribed", "polling", "subscribed"]);
    expect(b.record.remoteChanges[0]!.files).toEqual([{ fileUUID, version: 0, deleted: false }]);
  });

  it("stops, telling the error, when the server refuses its token", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const b = await openLive(laptop, { serverUrl: proxy.url });
    const { deviceId } = await callerOf(harness.server, laptop.token!);
    await harness.server.app.services.db.$transaction((tx) =>
      tx.token.updateMany({ where: { deviceId }, data: { revokedAt: new Date() } }),
    );
    proxy.cutAll(); // its WebSocket goes; the next connection and poll meet the refused token

    await until("live mode stopped", () => connectionStates(b.record).at(-1) === "stopped");
    expect(b.client.live).toBe(false);
    const stopped = b.record.connections.at(-1)!;
    expect(stopped.error).toBeInstanceOf(ServerError);
    expect((stopped.error as ServerError).code).toBe("UNAUTHENTICATED");
    expect(b.clock.pending.filter((timer) => timer.purpose.startsWith("live"))).toEqual([]);
  });
});

describe("live mode respects the engine", () => {
  it("runs no pass while suspended; resume() runs one", async () => {
    const { a, b } = await phoneAndLiveLaptop();
    await b.client.suspend();

    const fileUUID = randomUUID();
    await putFile(a.client, fileUUID, "while suspended");
    await until("B heard of it", () => b.record.remoteChanges.length === 1);
    await untilSettled(b, b.clock);
    expect(b.record.passes).toBe(0);
    expect(savedContents(b).has(fileUUID)).toBe(false);

    await b.client.resume();
    expect(savedContents(b).get(fileUUID)).toBe("while suspended");
    expect(b.record.passes).toBe(1);
  });

  it("runs no pass in an error mode; after resetFromError it runs one", async () => {
    let failSaves = true;
    const { a, b } = await phoneAndLiveLaptop({
      beforeSaveDownload: () => (failSaves ? Promise.reject(new Error("the app's disk is full")) : Promise.resolve()),
    });

    const first = randomUUID();
    await putFile(a.client, first, "first");
    await until("B in internalError", () => b.client.mode === "internalError");
    expect(b.record.passes).toBe(1);
    const second = randomUUID();
    await putFile(a.client, second, "second");
    await until("B heard of both", () => b.record.remoteChanges.length === 2);
    await until("no pass scheduled", () => !b.clock.pending.some((timer) => timer.purpose === "livePass"));
    expect(b.client.mode).toBe("internalError");
    expect(b.record.passes).toBe(1);

    failSaves = false;
    await b.client.resetFromError("local");
    await until("B saved both", () => savedContents(b).size === 2);
    await untilSettled(b, b.clock);
    expect(b.record.passes).toBe(2);
  });

  it("runs no pass after stopLive(), and holds no subscription or timer", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const third = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    const b = await openLive(laptop);
    // A witness that stays live: once it is told of A's commit, B would have been too.
    const witness = await openLive(third);
    await b.client.stopLive();
    expect(connectionStates(b.record)).toEqual(["subscribed", "stopped"]);
    expect(b.clock.pending.filter((timer) => timer.purpose.startsWith("live"))).toEqual([]);

    const fileUUID = randomUUID();
    await putFile(a.client, fileUUID, "after stop");
    await until("the witness saved it", () => savedContents(witness).has(fileUUID));
    expect(b.record.remoteChanges).toEqual([]);
    expect(b.record.passes).toBe(0);
    expect(savedContents(b).has(fileUUID)).toBe(false);
    expect(b.clock.pending.filter((timer) => timer.purpose.startsWith("live"))).toEqual([]);
  });

  it("stopLive() cancels the pass it scheduled", async () => {
    const phone = await harness.newUser();
    // A quiet time longer than the test: the scheduled pass waits on the device's clock.
    const a = await openLive(phone, {}, { debounceMs: 600_000 });
    const scheduled = a.clock.nextTimer("livePass");
    await a.client.uploadData(randomUUID(), Buffer.from("queued"), { cloudFileName: "s.txt", mimeType: "text/plain" });
    await a.client.commit();
    await scheduled;
    await a.client.stopLive();
    expect(a.clock.pending.filter((timer) => timer.purpose.startsWith("live"))).toEqual([]);
    a.clock.advance(600_000);
    expect(a.record.passes).toBe(0);
    expect(await a.client.pendingWork()).toMatchObject({ uploads: 1 });
  });

  it("offline, its pass waits with the outbox; online again, it finishes", async () => {
    const { a, b } = await phoneAndLiveLaptop();
    b.client.setOnline(false);
    const fileUUID = randomUUID();
    await putFile(a.client, fileUUID, "while offline");
    await until("B heard of it and its pass began", () => b.record.remoteChanges.length === 1 && b.record.passes === 1);
    expect(b.client.mode).not.toBe("idle");
    expect(savedContents(b).has(fileUUID)).toBe(false);

    b.client.setOnline(true);
    await until("B saved the file", () => savedContents(b).get(fileUUID) === "while offline");
    await untilSettled(b, b.clock);
    expect(b.record.passes).toBe(1);
  });

  it("a commit() of the app, live, schedules a pass that uploads it; close() stops live mode", async () => {
    const phone = await harness.newUser();
    const a = await openLive(phone);
    const fileUUID = randomUUID();
    await a.client.uploadData(fileUUID, Buffer.from("queued"), { cloudFileName: "q.txt", mimeType: "text/plain" });
    await a.client.commit();
    await until("the server has it", () => a.record.passes === 1 && a.client.mode === "idle");
    await untilSettled(a, a.clock);
    expect((await phone.fileIndex()).files.map((file) => file.fileUUID)).toEqual([fileUUID]);

    await a.client.close();
    expect(a.client.live).toBe(false);
    expect(connectionStates(a.record)).toEqual(["subscribed", "stopped"]);
    await expect(a.client.startLive()).rejects.toMatchObject({ code: "CLOSED" });
  });
});
