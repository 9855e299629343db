// fileIndexChanged over graphql-ws and over SSE: another device of the same
// user, subscribed after its fileIndex().eventSeq, hears of each commit of
// the user (which files, which device), once; other users hear nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callerOf,
  commitNewFiles,
  countFollowers,
  startTestServer,
  subscribeFileIndexChanged,
  type TestServer,
  transports,
  tusUpload,
} from "@smsync/testkit";

let server: TestServer;
let followers: ReturnType<typeof countFollowers>;

beforeAll(async () => {
  // A poll that never comes: every live delivery below is woken by the commit that logged it.
  server = await startTestServer({ SMSYNC_EVENT_POLL_MS: "600000" });
  followers = countFollowers(server);
});
afterAll(async () => {
  await server?.close();
});

describe.each(transports)("fileIndexChanged over %s", (transport) => {
  it(
    "tells the user's other device of each commit, with the files and the committing device",
    { timeout: 180_000 },
    async () => {
      const phone = await server.newUser();
      const laptop = await server.newDevice(phone.userName);
      const phoneCaller = await callerOf(server, phone.token!);
      const other = await server.newUser();
      const otherCaller = await callerOf(server, other.token!);

      const laptopIndex = await laptop.fileIndex();
      const changes = subscribeFileIndexChanged(transport, server.url, laptop.token, laptopIndex.eventSeq);
      const otherChanges = subscribeFileIndexChanged(
        transport,
        server.url,
        other.token,
        (await other.fileIndex()).eventSeq,
      );
      // Both subscriptions are being served before anything changes.
      await followers.until((count) => count >= 1, phoneCaller.userId);
      await followers.until((count) => count >= 1, otherCaller.userId);

      // The phone commits two new files.
      const { operation, files } = await commitNewFiles(server, phone, 2);
      expect((await phone.waitForOperation(operation.id, 120_000)).state).toBe("SUCCEEDED");
      const [first] = await changes.take(1);
      expect(first).toMatchObject({ operationId: operation.id, deviceId: phoneCaller.deviceId });
      expect(first.seq).toBeGreaterThan(laptopIndex.eventSeq);
      expect([...first.files].sort((a, b) => a.fileUUID.localeCompare(b.fileUUID))).toEqual(
        files
          .map((file) => ({ fileUUID: file.fileUUID, version: 0, deleted: false }))
          .sort((a, b) => a.fileUUID.localeCompare(b.fileUUID)),
      );
      // The index the laptop reads now has the files, at or after the change's position.
      const afterFirst = await laptop.fileIndex();
      expect(afterFirst.eventSeq).toBeGreaterThanOrEqual(first.seq);
      expect(afterFirst.files.map((file) => file.fileUUID).sort()).toEqual(files.map((file) => file.fileUUID).sort());

      // The laptop commits a new version of one file and deletes the other: one more change, naming the laptop.
      const laptopCaller = await callerOf(server, laptop.token!);
      const { fencingToken } = await laptop.lock();
      await tusUpload(server.url, laptop.token!, {
        fileUUID: files[0].fileUUID,
        version: 1,
        content: Buffer.from("v1"),
        fencingToken,
      });
      await laptop.deleteFiles(fencingToken, [{ fileUUID: files[1].fileUUID, version: 0 }]);
      const second = await laptop.commit(fencingToken);
      expect((await laptop.waitForOperation(second.id, 120_000)).state).toBe("SUCCEEDED");
      const [, next] = await changes.take(2);
      expect(next).toMatchObject({ operationId: second.id, deviceId: laptopCaller.deviceId });
      expect(next.seq).toBeGreaterThan(first.seq);
      expect([...next.files].sort((a, b) => a.fileUUID.localeCompare(b.fileUUID))).toEqual(
        [
          { fileUUID: files[0].fileUUID, version: 1, deleted: false },
          { fileUUID: files[1].fileUUID, version: 0, deleted: true },
        ].sort((a, b) => a.fileUUID.localeCompare(b.fileUUID)),
      );

      // The other user commits too: its own change is the only one it ever hears of.
      const own = await commitNewFiles(server, other, 1);
      expect((await other.waitForOperation(own.operation.id, 120_000)).state).toBe("SUCCEEDED");
      await otherChanges.take(1);
      expect(otherChanges.events).toHaveLength(1);
      expect(otherChanges.events[0]).toMatchObject({ operationId: own.operation.id, deviceId: otherCaller.deviceId });
      expect(otherChanges.events[0]?.files).toEqual([{ fileUUID: own.files[0].fileUUID, version: 0, deleted: false }]);

      // And the laptop heard of exactly the two commits of its user.
      expect(changes.events.map((change) => change.operationId)).toEqual([operation.id, second.id]);
      expect(changes.ended).toBe(false);
      changes.close();
      otherChanges.close();
      await followers.until((count) => count === 0, phoneCaller.userId);
      await followers.until((count) => count === 0, otherCaller.userId);
    },
  );

  it("resumed after a change's seq, delivers only the later changes", { timeout: 180_000 }, async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const start = (await laptop.fileIndex()).eventSeq;
    const first = await commitNewFiles(server, phone, 1);
    await phone.waitForOperation(first.operation.id, 120_000);
    const second = await commitNewFiles(server, phone, 1);
    await phone.waitForOperation(second.operation.id, 120_000);

    // From the start: both, replayed from the log.
    const all = subscribeFileIndexChanged(transport, server.url, laptop.token, start);
    const [firstChange] = await all.take(2);
    expect(all.events.map((change) => change.operationId)).toEqual([first.operation.id, second.operation.id]);
    all.close();

    // After the first change: only the second.
    const resumed = subscribeFileIndexChanged(transport, server.url, laptop.token, firstChange.seq);
    const [only] = await resumed.take(1);
    expect(only.operationId).toBe(second.operation.id);

    // After the position the index was read at: nothing of what the index already has, then the next change live.
    const index = await laptop.fileIndex();
    const caller = await callerOf(server, laptop.token!);
    const live = subscribeFileIndexChanged(transport, server.url, laptop.token, index.eventSeq);
    await followers.until((count) => count >= 2, caller.userId);
    const third = await commitNewFiles(server, phone, 1);
    await phone.waitForOperation(third.operation.id, 120_000);
    await live.take(1);
    expect(live.events.map((change) => change.operationId)).toEqual([third.operation.id]);
    await resumed.take(2);
    expect(resumed.events.map((change) => change.operationId)).toEqual([second.operation.id, third.operation.id]);
    live.close();
    resumed.close();
  });
});
