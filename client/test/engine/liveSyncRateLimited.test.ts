// Live mode when the server refuses its WebSocket with 4429 (the device
// already holds as many connections as the server allows, here 1): a
// RATE_LIMITED refusal is not a reason to stop, so it polls eventSeq, syncs
// on the change it sees, and subscribes once there is room again.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { callerOf, countFollowers, subscribeFileIndexChanged } from "@smsync/testkit";
import { ServerError } from "../../src/errors.ts";
import { MovableClock } from "../../src/time/MovableClock.ts";
import { useEngineHarness } from "../support/engineHarness.ts";
import { connectionStates, putFile, recordLive, savedContents, until } from "../support/liveDevices.ts";

const harness = useEngineHarness({ SMSYNC_WS_MAX_CONNECTIONS_PER_DEVICE: "1" });

describe("live mode refused with 4429", () => {
  it("keeps polling while RATE_LIMITED, and subscribes once a connection is free", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const followers = countFollowers(harness.server);
    const { userId } = await callerOf(harness.server, laptop.token!);
    // Another connection of the laptop's token takes the only one it may have.
    const hog = subscribeFileIndexChanged("ws", harness.server.url, laptop.token, 0);
    await followers.until((count) => count >= 1, userId);

    const a = await harness.openClient(phone);
    const b = await harness.openClient(laptop, { clock: new MovableClock() });
    const record = recordLive(b.client);
    await b.client.startLive({ pollMs: 200 });
    expect(b.client.live).toBe(true);
    expect(connectionStates(record)).toEqual(["polling"]);
    const { error } = record.connections[0]!;
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).code).toBe("RATE_LIMITED");

    const fileUUID = randomUUID();
    await putFile(a.client, fileUUID, "heard by polling");
    await until("B saved the file", () => savedContents(b).get(fileUUID) === "heard by polling");
    expect(b.client.live).toBe(true);

    hog.close();
    await until("B subscribed", () => connectionStates(record).at(-1) === "subscribed");
    await until("B told the change it polled", () => record.remoteChanges.length === 1);
    expect(record.remoteChanges[0]!.files).toEqual([{ fileUUID, version: 0, deleted: false }]);
  });
});
