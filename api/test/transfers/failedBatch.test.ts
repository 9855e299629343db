// A failed outbound transfer closes its grant's batch: more uploads or
// deletions under that grant are refused until commit resumes it. A later
// grant or a reset gives the failed batch up, so its versions can be
// uploaded again.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type FaultyCloudStorage, rowCounts, type Schema, type TestServer, tusUpload } from "@smsync/testkit";
import { onEachFaultyCloud } from "../support/faultyCloudServers.ts";

let server: TestServer;
let cloud: FaultyCloudStorage;

async function failedCommit(device: Awaited<ReturnType<TestServer["newUser"]>>, fileUUID: string) {
  const { fencingToken } = await device.lock(30);
  await tusUpload(server.url, device.token!, { fileUUID, version: 0, content: Buffer.from("first try"), fencingToken });
  cloud.fail({ call: "write", kind: "permanent", times: Infinity });
  const failed = await device.waitForOperation((await device.commit(fencingToken)).id);
  expect(failed.state).toBe("FAILED");
  cloud.heal();
  return { fencingToken, operationId: failed.id };
}

onEachFaultyCloud(
  { SMSYNC_TRANSFER_MAX_ATTEMPTS: "1" },
  (started) => ({ server, cloud } = started),
  () => {
    describe("a failed batch", () => {
      it("refuses more work under its grant with TRANSFER_FAILED until commit resumes it", async () => {
        const device = await server.newUser();
        const fileUUID = randomUUID();
        const { fencingToken, operationId } = await failedCommit(device, fileUUID);
        const before = await rowCounts(server.app.services.db);
        await expect(
          tusUpload(server.url, device.token!, { version: 0, content: Buffer.from("another"), fencingToken }),
        ).rejects.toThrow(/TRANSFER_FAILED/);
        expect(await rowCounts(server.app.services.db)).toEqual(before);
        const resumed = await device.waitForOperation((await device.commit(fencingToken)).id);
        expect(resumed).toMatchObject({ id: operationId, state: "SUCCEEDED" });
      });

      it("is given up when another device takes the lock over, and its version can be uploaded again", async () => {
        const phone = await server.newUser();
        const laptop = await server.newDevice(phone.userName);
        const fileUUID = randomUUID();
        await failedCommit(phone, fileUUID);
        // The failed transfer keeps the lock for a lease; once it runs out the laptop takes over.
        server.clock.advance(server.config.lockTtlSeconds * 1000);
        const { fencingToken } = await laptop.lock();
        expect(await server.app.services.db.stagedUpload.count({ where: { fileUUID } })).toBe(0);
        await tusUpload(server.url, laptop.token!, {
          fileUUID,
          version: 0,
          content: Buffer.from("laptop's"),
          fencingToken,
        });
        const op = await laptop.waitForOperation((await laptop.commit(fencingToken)).id);
        expect(op.state).toBe("SUCCEEDED");
        expect((await laptop.fileIndex()).files).toMatchObject([{ fileUUID, version: 0 }]);
      });

      it("is given up by resetServerState", async () => {
        const device = await server.newUser();
        const fileUUID = randomUUID();
        await failedCommit(device, fileUUID);
        const reset = await device.ok<{
          resetServerState: Pick<Schema.ResetResult, "releasedLock" | "discardedUploads">;
        }>(`mutation($key: String!) { resetServerState(idempotencyKey: $key) { releasedLock discardedUploads } }`, {
          key: randomUUID(),
        });
        expect(reset.resetServerState).toEqual({ releasedLock: true, discardedUploads: 1 });
        const { fencingToken } = await device.lock();
        await tusUpload(server.url, device.token!, {
          fileUUID,
          version: 0,
          content: Buffer.from("again"),
          fencingToken,
        });
        expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
      });
    });
  },
);
