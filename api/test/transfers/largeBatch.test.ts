// A batch of more files than SQLite binds parameters in one statement (999):
// a commit of 1,200 staged uploads and an inbound transfer of 1,200 files
// are accepted (the statements that name files run per chunk). The rows are
// seeded directly (1,200 tus uploads would take minutes); no transfer worker
// runs, as only the mutations are under test.
import { randomUUID } from "node:crypto";
import { afterAll, assert, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestGraphQLClient, type TestServer } from "@smsync/testkit";

const fileCount = 1200;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ SMSYNC_TRANSFER_WORKER: "false" });
});
afterAll(async () => {
  await server?.close();
});

async function callerIds(device: TestGraphQLClient & { userName: string }) {
  const user = await server.app.services.db.user.findUniqueOrThrow({
    where: { name: device.userName },
    include: { devices: true },
  });
  assert.exists(user.devices[0]);
  return { userId: user.id, deviceId: user.devices[0].id };
}

function sha256Of(index: number): string {
  return index.toString(16).padStart(64, "0");
}

describe("a batch of 1,200 files", () => {
  it("is committed", async () => {
    const device = await server.newUser();
    const { userId, deviceId } = await callerIds(device);
    const { fencingToken } = await device.lock();
    const rows = Array.from({ length: fileCount }, (_, index) => ({
      id: randomUUID(),
      userId,
      deviceId,
      fileUUID: randomUUID(),
      version: 0,
      sha256: sha256Of(index),
      cloudFileName: `file-${index}.txt`,
      mimeType: "text/plain",
      size: 1n,
      fencingToken,
      state: "COMPLETE",
      completedAt: new Date(),
    }));
    await server.app.services.db.$transaction(async (tx) => {
      for (let start = 0; start < rows.length; start += 50)
        await tx.stagedUpload.createMany({ data: rows.slice(start, start + 50) });
    });

    const operation = await device.commit(fencingToken);
    expect(operation).toMatchObject({ kind: "OUTBOUND", state: "NOT_STARTED", filesTotal: fileCount });
    expect(
      await server.app.services.db.stagedUpload.count({
        where: { userId, state: "COMMITTED", operationId: operation.id },
      }),
    ).toBe(fileCount);
  });

  it("is staged for download by one inbound transfer", async () => {
    const device = await server.newUser();
    const { userId } = await callerIds(device);
    const files = Array.from({ length: fileCount }, (_, index) => ({
      userId,
      fileUUID: randomUUID(),
      cloudFileName: `file-${index}.txt`,
      mimeType: "text/plain",
      version: 3,
      size: 1n,
      sha256: sha256Of(index),
      cloudObjectId: `object-${index}`,
      updatedAt: new Date(),
    }));
    await server.app.services.db.$transaction(async (tx) => {
      for (let start = 0; start < files.length; start += 50)
        await tx.fileEntry.createMany({ data: files.slice(start, start + 50) });
    });
    const { fencingToken } = await device.lock();

    const operation = await device.startInboundTransfer(
      fencingToken,
      files.map((file) => ({ fileUUID: file.fileUUID, version: file.version })),
    );
    expect(operation).toMatchObject({ kind: "INBOUND", filesTotal: fileCount });
  });
});
