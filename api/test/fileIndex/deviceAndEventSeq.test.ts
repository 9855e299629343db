// The two queries a client in live mode starts with: `device`, the device
// its token belongs to (to tell its own commits in fileIndexChanged from
// other devices'), and `eventSeq`, the user's event log position now (what it
// polls while its subscription is down). eventSeq is the position fileIndex
// reads beside the files and the seq of the last fileIndexChanged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callerOf,
  commitNewFiles,
  startTestServer,
  subscribeFileIndexChanged,
  TestGraphQLClient,
  typedQuery,
  type TestServer,
} from "@smsync/testkit";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const deviceQuery = typedQuery<{ device: { id: string; name: string } }>(`{ device { id name } }`);
const eventSeqQuery = typedQuery<{ eventSeq: number }>(`{ eventSeq }`);

describe("device", () => {
  it("names the device whose token the request carries, by the id fileIndexChanged gives", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName, "laptop");
    const phoneCaller = await callerOf(server, phone.token!);
    const laptopCaller = await callerOf(server, laptop.token!);
    expect(laptopCaller.deviceId).not.toBe(phoneCaller.deviceId);

    expect((await phone.ok(deviceQuery)).device).toEqual({ id: phoneCaller.deviceId, name: phoneCaller.deviceName });
    expect((await laptop.ok(deviceQuery)).device).toEqual({ id: laptopCaller.deviceId, name: "laptop" });

    // The id is the one a commit of the device is told with.
    const index = await laptop.fileIndex();
    const changes = subscribeFileIndexChanged("ws", server.url, laptop.token, index.eventSeq);
    const { operation } = await commitNewFiles(server, phone, 1);
    await phone.waitForOperation(operation.id, 120_000);
    const [change] = await changes.take(1);
    changes.close();
    expect(change.deviceId).toBe((await phone.ok(deviceQuery)).device.id);
  });

  it("is UNAUTHENTICATED without a valid token", async () => {
    expect(await new TestGraphQLClient(server.url, null).errorCode(deviceQuery)).toBe("UNAUTHENTICATED");
    expect(await new TestGraphQLClient(server.url, "smsync_notatoken").errorCode(deviceQuery)).toBe("UNAUTHENTICATED");
  });
});

describe("eventSeq", () => {
  it("is the user's event position: fileIndex's, moved on by each commit to the seq fileIndexChanged tells", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const other = await server.newUser();

    expect((await laptop.ok(eventSeqQuery)).eventSeq).toBe(0);
    const start = await laptop.fileIndex();
    expect((await laptop.ok(eventSeqQuery)).eventSeq).toBe(start.eventSeq);

    const changes = subscribeFileIndexChanged("ws", server.url, laptop.token, start.eventSeq);
    const { operation } = await commitNewFiles(server, phone, 2);
    await phone.waitForOperation(operation.id, 120_000);
    const [change] = await changes.take(1);
    changes.close();

    // Every device of the user reads the same position, at or past the change (a transfer's own events follow it).
    const now = (await laptop.ok(eventSeqQuery)).eventSeq;
    expect(now).toBeGreaterThanOrEqual(change.seq);
    expect((await phone.ok(eventSeqQuery)).eventSeq).toBe(now);
    expect((await laptop.fileIndex()).eventSeq).toBe(now);
    // Another user's position is its own.
    expect((await other.ok(eventSeqQuery)).eventSeq).toBe(0);
  });

  it("is UNAUTHENTICATED without a valid token", async () => {
    expect(await new TestGraphQLClient(server.url, null).errorCode(eventSeqQuery)).toBe("UNAUTHENTICATED");
  });
});
