// Live mode under a server killed (SIGKILL) and started again on the same
// port and database (support/serverRestart.ts): the device goes to polling,
// and its next poll subscribes again with `after` = the last seq it saw, so
// the server's log tells it of the change another device made while it was
// away, and a pass brings the file.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MovableClock } from "../../src/time/MovableClock.ts";
import { connectionStates, putFile, recordLive, savedContents, until } from "../support/liveDevices.ts";
import { openDevice, restartAfterExit, server, useServerProcess } from "../support/serverRestart.ts";

useServerProcess();

/** Longer than the test runs: a poll happens only when the test moves the device's clock past it. */
const pollMs = 600_000;

describe("live mode across a server restart", () => {
  it("polls while the server is down, then resubscribes after the last seq seen and gets what it missed", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const a = await openDevice(phone);
    const clock = new MovableClock();
    const b = await openDevice(laptop, { clock });
    const record = recordLive(b.client);
    await b.client.startLive({ pollMs });
    expect(connectionStates(record)).toEqual(["subscribed"]);
    const before = randomUUID();
    await putFile(a.client, before, "before the restart");
    await until("B saved the first file", () => savedContents(b).has(before));

    void server.current!.kill("SIGKILL");
    await until("B polls", () => connectionStates(record).includes("polling"));
    await restartAfterExit();
    // A change while B is away: its subscription is down, and its next poll is far off.
    const away = randomUUID();
    await putFile(a.client, away, "while B was away");
    expect(savedContents(b).has(away)).toBe(false);

    clock.advance(pollMs);
    await until("B saved the file it missed", () => savedContents(b).get(away) === "while B was away");
    await until("B subscribed again", () => connectionStates(record).at(-1) === "subscribed");
    await until("B told of the change it missed", () => record.remoteChanges.length === 2);
    expect(connectionStates(record)).toEqual(["subscribed", "polling", "subscribed"]);
    expect(record.remoteChanges.map((change) => change.files)).toEqual([
      [{ fileUUID: before, version: 0, deleted: false }],
      [{ fileUUID: away, version: 0, deleted: false }],
    ]);
  });
});
