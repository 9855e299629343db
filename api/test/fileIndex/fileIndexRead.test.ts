// The fileIndex query reads raw SQL, whose rows differ between providers
// (booleans, bigints, dates): its answer must be exactly the rows Prisma
// holds, field by field, on SQLite and on PostgreSQL, with the user's event
// position. An index is read anew exactly when that position has moved
// (fileIndex/FileIndexCache.ts).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, tusUpload, type TestServer } from "@smsync/testkit";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SMSYNC_TRANSFER_WORKER: "false" });
});
afterAll(async () => {
  await server?.close();
});

describe("fileIndex", () => {
  it("answers every field of every row as stored, in fileUUID order, at the user's event position", async () => {
    const device = await server.newUser();
    const { db } = server.app.services;
    const user = await db.user.findUniqueOrThrow({ where: { name: device.userName } });
    const files = [
      // Beyond 32 bits, deleted, no metadata, a date with milliseconds.
      { size: 5_000_000_000n, deleted: true, appMetaData: null, updatedAt: new Date("2026-03-04T05:06:07.089Z") },
      { size: 0n, deleted: false, appMetaData: '{"a":[1,"ü"]}', updatedAt: new Date("1999-12-31T23:59:59.999Z") },
      { size: 12n, deleted: false, appMetaData: "{}", updatedAt: new Date("2026-12-06T00:00:00.000Z") },
    ].map((fields, index) => ({
      userId: user.id,
      fileUUID: randomUUID(),
      cloudFileName: `name ${index}.txt`,
      mimeType: "text/plain",
      version: index + 2,
      sha256: String(index).repeat(64),
      cloudObjectId: null,
      ...fields,
    }));
    await db.$transaction(async (tx) => {
      await tx.fileEntry.createMany({ data: files });
      await tx.user.update({ where: { id: user.id }, data: { eventSeq: 41 } });
    });

    const index = await device.fileIndex();
    expect(index.eventSeq).toBe(41);
    const expected = [...files]
      .sort((a, b) => (a.fileUUID < b.fileUUID ? -1 : 1))
      .map((file) => ({
        fileUUID: file.fileUUID,
        cloudFileName: file.cloudFileName,
        mimeType: file.mimeType,
        appMetaData: file.appMetaData,
        version: file.version,
        deleted: file.deleted,
        size: Number(file.size),
        sha256: file.sha256,
        updatedAt: file.updatedAt.toISOString(),
      }));
    expect(index.files).toEqual(expected);
  });

  it("answers an empty index with the user's event position", async () => {
    const device = await server.newUser();
    expect(await device.fileIndex()).toEqual({ eventSeq: 0, files: [] });
  });

  it("is answered again from memory while the user's event position stays, and read anew once it moves", async () => {
    const device = await server.newUser();
    const { db } = server.app.services;
    const user = await db.user.findUniqueOrThrow({ where: { name: device.userName } });
    const entry = (cloudFileName: string) => ({
      userId: user.id,
      fileUUID: randomUUID(),
      cloudFileName,
      mimeType: "text/plain",
      version: 0,
      deleted: false,
      size: 1n,
      sha256: "a".repeat(64),
      cloudObjectId: null,
      updatedAt: new Date(),
    });
    await db.$transaction((tx) => tx.fileEntry.create({ data: entry("first.txt") }));
    expect((await device.fileIndex()).files.map((file) => file.cloudFileName)).toEqual(["first.txt"]);

    // A row written without an event, as no real change is (every one appends to the log in its transaction):
    // the index at the same position is the one read before.
    await db.$transaction((tx) => tx.fileEntry.create({ data: entry("second.txt") }));
    expect(await device.fileIndex()).toMatchObject({ eventSeq: 0, files: [{ cloudFileName: "first.txt" }] });

    await db.$transaction((tx) => tx.user.update({ where: { id: user.id }, data: { eventSeq: 1 } }));
    const moved = await device.fileIndex();
    expect(moved.eventSeq).toBe(1);
    expect(moved.files.map((file) => file.cloudFileName).sort()).toEqual(["first.txt", "second.txt"]);
  });
});

describe("fileIndex, with the transfer worker", () => {
  let withWorker: TestServer;
  beforeAll(async () => {
    withWorker = await startTestServer();
  });
  afterAll(async () => {
    await withWorker?.close();
  });

  it("sees a committed upload at once, read before and after the commit", async () => {
    const device = await withWorker.newUser();
    expect((await device.fileIndex()).files).toEqual([]);
    const { fencingToken } = await device.lock();
    const fileUUID = randomUUID();
    await tusUpload(withWorker.url, device.token!, {
      fileUUID,
      version: 0,
      content: Buffer.from("hello"),
      fencingToken,
    });
    expect((await device.fileIndex()).files).toEqual([]);
    const committed = await device.commit(fencingToken);
    expect((await device.waitForOperation(committed.id)).state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID, version: 0, size: 5 }]);
  });
});
