// readOnlyRaw: on SQLite it reads straight on the reader's connection
// (sqliteRaw.ts), passing parameters as Prisma's adapter stores them,
// so a date or a boolean compares with the stored value as it does through
// Prisma; on PostgreSQL the same statements run through Prisma.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { testProvider } from "@smsync/testkit";
import { readOnlyRaw } from "../../src/database/client.ts";
import { UnsupportedRawParameterError } from "../../src/database/sqliteRaw.ts";
import { Prisma } from "../../src/generated/prisma-sqlite/client.ts";
import { addUser } from "../../src/auth/users.ts";

const database = useMigratedTestDatabase("smsync-raw-reads-");

describe("readOnlyRaw", () => {
  it("compares date and boolean parameters with stored values as Prisma does", async () => {
    const { db } = database;
    const { userId } = await addUser(db, `raw-${randomUUID().slice(0, 8)}`);
    const at = (iso: string) => new Date(iso);
    await db.$transaction((tx) =>
      tx.fileEntry.createMany({
        data: [
          ["2026-01-01T00:00:00.000Z", false],
          ["2026-01-02T00:00:00.500Z", false],
          ["2026-01-02T00:00:00.400Z", true],
          ["2026-01-03T00:00:00.000Z", false],
        ].map(([updatedAt, deleted], index) => ({
          userId,
          fileUUID: `file-${index}`,
          cloudFileName: `f${index}`,
          mimeType: "text/plain",
          version: 0,
          deleted: deleted as boolean,
          size: 1n,
          sha256: "0".repeat(64),
          updatedAt: at(updatedAt as string),
        })),
      }),
    );
    // Strictly before the second file's time: a parameter in another text form than the stored one would let it in.
    const cutoff = at("2026-01-02T00:00:00.500Z");
    const viaPrisma = await db.fileEntry.findMany({
      where: { userId, updatedAt: { lt: cutoff }, deleted: false },
      select: { fileUUID: true },
    });
    const raw = await readOnlyRaw<{ fileUUID: string }>(
      db,
      Prisma.sql`SELECT "fileUUID" FROM "FileEntry"
        WHERE "userId" = ${userId} AND "updatedAt" < ${cutoff} AND "deleted" = ${false} ORDER BY "fileUUID"`,
    );
    expect(viaPrisma.map((row) => row.fileUUID)).toEqual(["file-0"]);
    expect(raw.map((row) => row.fileUUID)).toEqual(["file-0"]);
  });

  it.skipIf(testProvider !== "sqlite")(
    "refuses on SQLite a parameter it cannot pass as Prisma would store it, rather than guess",
    async () => {
      const { db } = database;
      // A read first, so that the reader has connected and readOnlyRaw goes straight to SQLite.
      await readOnlyRaw(db, Prisma.sql`SELECT 1`);
      const query = Prisma.sql`SELECT "fileUUID" FROM "FileEntry" WHERE "sha256" = ${Buffer.from("00", "hex")}`;
      await expect(readOnlyRaw(db, query)).rejects.toThrow(UnsupportedRawParameterError);
      await expect(readOnlyRaw(db, query)).rejects.toThrow(/cannot pass a parameter of type object to SQLite/);
    },
  );
});
