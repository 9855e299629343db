// The data layer on the provider under test (SQLite by default,
// PostgreSQL with SMSYNC_TEST_DATABASE=postgresql): migrations, the per-user
// event sequence, and the constraints the protocol leans on.
import { describe, expect, it } from "vitest";
import { addDevice, addUser, AdminError } from "../../src/auth/users.ts";
import { authenticate, hashToken } from "../../src/auth/deviceTokens.ts";
import { migrate, migrationsFor } from "../../src/database/migrate.ts";
import { transactWithEvents, readEventsAfter } from "../../src/events/eventLog.ts";
import { MemoryEventNotifier } from "../../src/events/MemoryEventNotifier.ts";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { rowCounts, testProvider } from "@smsync/testkit";

const fixture = useMigratedTestDatabase("smsync-db-");

describe(`the data layer on ${testProvider}`, () => {
  it("applies every migration once: a second run applies none", async () => {
    expect(migrationsFor(testProvider).length).toBeGreaterThan(0);
    expect(await migrate(fixture.url)).toEqual([]);
  });

  it("stores device tokens hashed and authenticates by them", async () => {
    const created = await addUser(fixture.db, "dana");
    const rows = await fixture.db.token.findMany({ where: { device: { userId: created.userId } } });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(hashToken(created.token));
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(await authenticate(fixture.db, `Bearer ${created.token}`)).toMatchObject({
      userId: created.userId,
      deviceName: "default",
    });
    expect(await authenticate(fixture.db, "Bearer smsync_nope")).toBeNull();
    const second = await addDevice(fixture.db, "dana", "tablet");
    expect(second.token).not.toBe(created.token);
  });

  it("refuses a duplicate user or device, and bad names", async () => {
    await addUser(fixture.db, "erin");
    const before = await rowCounts(fixture.db);
    await expect(addUser(fixture.db, "erin")).rejects.toThrow(AdminError);
    await expect(addDevice(fixture.db, "erin", "default")).rejects.toThrow(/already has a device/);
    await expect(addUser(fixture.db, "../evil")).rejects.toThrow(AdminError);
    await expect(addDevice(fixture.db, "nobody", "x")).rejects.toThrow(/no user/);
    expect(await rowCounts(fixture.db)).toEqual(before);
  });

  it("hands out a user's event sequence numbers without gaps or reuse under concurrent writers", async () => {
    const { userId } = await addUser(fixture.db, "frank");
    const notifier = new MemoryEventNotifier();
    let wakeups = 0;
    notifier.subscribe(userId, () => wakeups++);
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        transactWithEvents(fixture.db, notifier, (_tx, events) =>
          events.append({ userId, type: "FILE_INDEX_CHANGED", payload: { index } }),
        ),
      ),
    );
    const events = await readEventsAfter(fixture.db, userId, 0, {});
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(new Set(events.map((event) => event.payload.index)).size).toBe(20);
    expect(wakeups).toBe(20);
    expect((await readEventsAfter(fixture.db, userId, 15, {})).map((event) => event.seq)).toEqual([16, 17, 18, 19, 20]);
  });

  it("rolls back the events of a failed transaction and wakes nobody", async () => {
    const { userId } = await addUser(fixture.db, "gina");
    const notifier = new MemoryEventNotifier();
    let wakeups = 0;
    notifier.subscribe(userId, () => wakeups++);
    const before = await rowCounts(fixture.db);
    await expect(
      transactWithEvents(fixture.db, notifier, async (_tx, events) => {
        await events.append({ userId, type: "FILE_INDEX_CHANGED", payload: {} });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await rowCounts(fixture.db)).toEqual(before);
    expect(await readEventsAfter(fixture.db, userId, 0, {})).toEqual([]);
    expect(wakeups).toBe(0);
  });

  it("keeps one staged upload per (user, fileUUID, version)", async () => {
    const { userId, deviceId } = await addUser(fixture.db, "hank");
    const row = {
      userId,
      deviceId,
      fileUUID: "6f1c6a8e-0d7e-4a43-9a53-3d0e6f0f4c11",
      version: 0,
      sha256: "0".repeat(64),
      cloudFileName: "a",
      mimeType: "text/plain",
      size: 1n,
      fencingToken: 1,
      state: "UPLOADING",
    };
    await fixture.db.$transaction((tx) => tx.stagedUpload.create({ data: { id: "u1", ...row } }));
    const before = await rowCounts(fixture.db);
    await expect(
      fixture.db.$transaction((tx) => tx.stagedUpload.create({ data: { id: "u2", ...row } })),
    ).rejects.toThrow();
    expect(await rowCounts(fixture.db)).toEqual(before);
  });

  it("refuses a write outside a transaction on SQLite, where it would join another transaction", async () => {
    const { userId } = await addUser(fixture.db, "judy");
    const before = await rowCounts(fixture.db);
    const write = fixture.db.user.update({ where: { id: userId }, data: { eventSeq: 7 } });
    if (testProvider === "sqlite") {
      await expect(write).rejects.toThrow();
      expect(await rowCounts(fixture.db)).toEqual(before);
      expect((await fixture.db.user.findUniqueOrThrow({ where: { id: userId } })).eventSeq).toBe(0);
    } else await write;
  });

  it("stores sizes beyond 32 bits", async () => {
    const { userId } = await addUser(fixture.db, "iris");
    const size = 5n * 1024n * 1024n * 1024n;
    await fixture.db.$transaction((tx) =>
      tx.fileEntry.create({
        data: {
          userId,
          fileUUID: "6f1c6a8e-0d7e-4a43-9a53-3d0e6f0f4c12",
          cloudFileName: "big",
          mimeType: "application/octet-stream",
          version: 0,
          size,
          sha256: "1".repeat(64),
          updatedAt: new Date(),
        },
      }),
    );
    const entry = await fixture.db.fileEntry.findFirstOrThrow({ where: { userId } });
    expect(entry.size).toBe(size);
  });
});
