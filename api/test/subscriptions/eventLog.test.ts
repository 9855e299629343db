// The log under the subscriptions: a follower reads only committed events.
// On SQLite the server has one connection and an open transaction's rows are
// visible to statements outside it; an event read there can roll back and
// its seq go to another event, which the follower would then skip.
import { describe, expect, it } from "vitest";
import { readEventsAfter, transactWithEvents } from "../../src/events/eventLog.ts";
import { followEvents } from "../../src/events/followEvents.ts";
import { callerOf, useTestServer } from "@smsync/testkit";

const server = useTestServer();

describe("following the event log", () => {
  it("reads the events after a seq as stored, field by field, filtered by operation, types and limit", async () => {
    const device = await server.newUser();
    const { userId } = await callerOf(server, device.token!);
    const { db, notifier } = server.app.services;
    await transactWithEvents(db, notifier, async (_tx, events) => {
      await events.append({ userId, type: "FILE_INDEX_CHANGED", payload: { n: 1 } });
      await events.append({ userId, type: "OPERATION_STATE", payload: { n: 2, state: "IN_PROGRESS" } });
      await events.append({ userId, type: "FILES_TRANSFERRED", payload: { n: 3, ü: [true, null] } });
      await events.append({ userId, type: "OPERATION_STATE", payload: { n: 4 } });
    });
    // What Prisma reads is the reference: the raw read must give the same values and types on either provider.
    const stored = (await db.event.findMany({ where: { userId }, orderBy: { seq: "asc" } })).map((row) => ({
      ...row,
      payload: JSON.parse(row.payload) as unknown,
    }));
    expect(stored).toHaveLength(4);
    expect(await readEventsAfter(db, userId, 0, {})).toEqual(stored);
    expect(await readEventsAfter(db, userId, stored[0]!.seq, {}, 2)).toEqual(stored.slice(1, 3));
    expect(await readEventsAfter(db, userId, 0, { types: ["OPERATION_STATE", "FILES_TRANSFERRED"] })).toEqual(
      stored.slice(1),
    );
    expect(await readEventsAfter(db, userId, 0, { operationId: "no such operation" })).toEqual([]);
  });

  it(
    "never yields an event of a transaction that rolls back, and yields the event that reuses its seq",
    { timeout: 120_000 },
    async () => {
      const device = await server.newUser();
      const { userId } = await callerOf(server, device.token!);
      const { db, notifier } = server.app.services;

      // A transaction appends an event and stays open until the test lets it roll back.
      let appended!: () => void;
      const isAppended = new Promise<void>((resolve) => (appended = resolve));
      let rollBack!: () => void;
      const rolledBack = new Promise<void>((resolve) => (rollBack = resolve));
      const phantom = transactWithEvents(db, notifier, async (_tx, events) => {
        await events.append({ userId, type: "FILE_INDEX_CHANGED", payload: { phantom: true } });
        appended();
        await rolledBack;
        throw new Error("rolled back on purpose");
      }).then(
        () => "committed",
        () => "rolled back",
      );
      await isAppended;

      // A follower starts reading while it is open (a poll long enough that only a wake-up moves it on).
      const follower = followEvents(db, notifier, { userId, after: 0, pollMs: 600_000 });
      const first = follower.next();
      // A statement issued after the follower's read: once it has answered, the read has run (or is waiting its turn).
      await db.user.findUniqueOrThrow({ where: { id: userId } });
      rollBack();
      expect(await phantom).toBe("rolled back");

      // The next event of the user takes the same seq.
      const seq = await transactWithEvents(db, notifier, (_tx, events) =>
        events.append({ userId, type: "FILE_INDEX_CHANGED", payload: { real: true } }),
      );
      expect(seq).toBe(1);
      expect((await first).value).toMatchObject({ seq: 1, payload: { real: true } });
      await follower.return();
    },
  );

  it("ends at once when resumed after the last event", { timeout: 120_000 }, async () => {
    const device = await server.newUser();
    const { userId } = await callerOf(server, device.token!);
    const { db, notifier } = server.app.services;
    for (const state of ["IN_PROGRESS", "SUCCEEDED"]) {
      await transactWithEvents(db, notifier, (_tx, events) =>
        events.append({ userId, type: "OPERATION_STATE", payload: { state } }),
      );
    }
    const isLast = (event: { payload: Record<string, unknown> }) => event.payload.state === "SUCCEEDED";
    const follow = (after: number) => followEvents(db, notifier, { userId, after, isLast, pollMs: 600_000 });
    const seen: number[] = [];
    for await (const event of follow(0)) seen.push(event.seq);
    expect(seen).toEqual([1, 2]);
    for await (const event of follow(2)) throw new Error(`unexpected event ${event.seq}`);
    const rest: number[] = [];
    for await (const event of follow(1)) rest.push(event.seq);
    expect(rest).toEqual([2]);
  });
});
