// The SQLite connections reuse their prepared statements (sqliteStatementCache.ts):
// a statement run again takes each run's own arguments, and a statement that
// fails leaves it usable. On PostgreSQL the same queries run as a control.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { addUser } from "../../src/auth/users.ts";

const database = useMigratedTestDatabase("smsync-statement-cache-");

describe("prepared statements reused", () => {
  it("run with each call's arguments, in and outside transactions, and after a failed run", async () => {
    const { db } = database;
    const names = Array.from({ length: 3 }, () => `cache-${randomUUID().slice(0, 8)}`);
    for (const name of names) await addUser(db, name);
    // The same query shape, alternating arguments: a statement bound once would answer the first user each time.
    for (const name of [...names, ...names.reverse()]) {
      expect((await db.user.findUniqueOrThrow({ where: { name } })).name).toBe(name);
      const inTransaction = await db.$transaction((tx) => tx.user.findUniqueOrThrow({ where: { name } }));
      expect(inTransaction.name).toBe(name);
    }
    // A unique violation fails the insert; the same insert shape then succeeds with other values.
    await expect(
      db.$transaction((tx) => tx.user.create({ data: { id: randomUUID(), name: names[0]! } })),
    ).rejects.toThrow();
    const other = `cache-${randomUUID().slice(0, 8)}`;
    await db.$transaction((tx) => tx.user.create({ data: { id: randomUUID(), name: other } }));
    expect(await db.user.count({ where: { name: { in: [...names, other] } } })).toBe(4);
  });
});
