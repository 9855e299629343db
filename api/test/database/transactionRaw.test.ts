// Raw statements inside a transaction (transactionRaw.ts): on SQLite straight
// on the writer's connection, inside the transaction Prisma opened there; on
// PostgreSQL through the transaction. Their writes commit and roll back with
// the transaction's other writes, and what they store reads back through
// Prisma as Prisma would have stored it.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testProvider } from "@smsync/testkit";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { addUser } from "../../src/auth/users.ts";
import { executeInTransaction, insertRows, queryInTransaction } from "../../src/database/transactionRaw.ts";
import { Prisma } from "../../src/generated/prisma-sqlite/client.ts";
import type { Transaction } from "../../src/database/client.ts";

const database = useMigratedTestDatabase("smsync-transaction-raw-");

async function newUser(): Promise<string> {
  return (await addUser(database.db, `raw-${randomUUID().slice(0, 8)}`)).userId;
}

describe("raw statements in a transaction", () => {
  it("store dates and integers that Prisma reads back as it stores them, and answer RETURNING rows", async () => {
    const { db } = database;
    const userId = await newUser();
    const expiresAt = new Date("2026-12-06T10:20:30.456Z");
    const [row] = await db.$transaction((tx) =>
      queryInTransaction<{ fencingToken: number | bigint; expiresAt: unknown }>(
        tx,
        Prisma.sql`UPDATE "Lock" SET "fencingToken" = ${7}, "expiresAt" = ${expiresAt} WHERE "userId" = ${userId}
          RETURNING "fencingToken", "expiresAt"`,
      ),
    );
    expect(Number(row!.fencingToken)).toBe(7);
    expect(new Date(row!.expiresAt as string).getTime()).toBe(expiresAt.getTime());
    const lock = await db.lock.findUniqueOrThrow({ where: { userId } });
    expect(lock.fencingToken).toBe(7);
    expect(lock.expiresAt).toEqual(expiresAt);
    // A date Prisma stored compares with a raw parameter as with Prisma's own.
    const changed = await db.$transaction((tx) =>
      executeInTransaction(
        tx,
        Prisma.sql`UPDATE "Lock" SET "fencingToken" = "fencingToken" + 1 WHERE "userId" = ${userId} AND "expiresAt" = ${expiresAt}`,
      ),
    );
    expect(changed).toBe(1);
    expect((await db.lock.findUniqueOrThrow({ where: { userId } })).fencingToken).toBe(8);
  });

  it("roll back with the transaction they ran in, Prisma's writes and their own alike", async () => {
    const { db } = database;
    const userId = await newUser();
    const failing = db.$transaction(async (tx) => {
      await executeInTransaction(tx, Prisma.sql`UPDATE "Lock" SET "fencingToken" = 9 WHERE "userId" = ${userId}`);
      await tx.user.update({ where: { id: userId }, data: { eventSeq: 5 } });
      throw new Error("the transaction fails after both writes");
    });
    await expect(failing).rejects.toThrow("the transaction fails after both writes");
    expect((await db.lock.findUniqueOrThrow({ where: { userId } })).fencingToken).toBe(0);
    expect((await db.user.findUniqueOrThrow({ where: { id: userId } })).eventSeq).toBe(0);
  });

  it("see the transaction's own uncommitted writes, which other readers do not see", async () => {
    const { db } = database;
    const userId = await newUser();
    let seenInside: unknown[] = [];
    let seenOutside: unknown = "unread";
    await db.$transaction(async (tx) => {
      await tx.lock.update({ where: { userId }, data: { fencingToken: 3 } });
      seenInside = await queryInTransaction(
        tx,
        Prisma.sql`SELECT "fencingToken" FROM "Lock" WHERE "userId" = ${userId}`,
      );
      seenOutside = (await db.lock.findUniqueOrThrow({ where: { userId } })).fencingToken;
    });
    expect(seenInside.map((row) => Number((row as { fencingToken: number | bigint }).fencingToken))).toEqual([3]);
    expect(seenOutside).toBe(0);
  });

  it("insert many rows as createMany does: chunked, a column a row lacks null, read back the same", async () => {
    const { db } = database;
    const [raw, prisma] = [await newUser(), await newUser()];
    const updatedAt = new Date("2026-12-06T22:58:31.123Z");
    // 200 rows of 11 columns: three statements under the parameter limit.
    const rowsOf = (userId: string) =>
      Array.from({ length: 200 }, (_, index) => ({
        userId,
        fileUUID: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
        cloudFileName: `file ${index}.txt`,
        mimeType: "text/plain",
        appMetaData: index % 3 === 0 ? null : `{"n":${index}}`,
        version: index,
        deleted: index % 2 === 0,
        size: BigInt(index) * 5_000_000_000n,
        sha256: "ab".repeat(32),
        ...(index % 2 === 0 ? {} : { cloudObjectId: `object-${index}` }),
        updatedAt,
      }));
    await db.$transaction((tx) => insertRows(tx, "FileEntry", rowsOf(raw)));
    await db.$transaction((tx) => tx.fileEntry.createMany({ data: rowsOf(prisma) }));
    const read = async (userId: string) =>
      (await db.fileEntry.findMany({ where: { userId }, orderBy: { version: "asc" } })).map(
        ({ userId: _user, ...entry }) => entry,
      );
    const inserted = await read(raw);
    expect(inserted).toHaveLength(200);
    expect(inserted).toEqual(await read(prisma));
    expect(inserted[1]).toMatchObject({ cloudObjectId: "object-1", size: 5_000_000_000n, deleted: false, updatedAt });
    expect(inserted[0]).toMatchObject({ cloudObjectId: null, appMetaData: null, deleted: true });
  });

  it.skipIf(testProvider !== "sqlite")("refuse to run once their transaction has ended", async () => {
    const { db } = database;
    let escaped: Transaction | undefined;
    await db.$transaction(async (tx) => {
      escaped = tx;
      await queryInTransaction(tx, Prisma.sql`SELECT 1`);
    });
    await expect(queryInTransaction(escaped!, Prisma.sql`SELECT 1`)).rejects.toThrow(
      "a transaction's raw statement ran after its transaction ended",
    );
  });
});
