// The transfer worker's poll first asks one raw question, is anything due?,
// and reads the work through Prisma only when it is (dueWork.ts). Its answer
// must be yes whenever the reads would find work: a runnable transfer due and
// not held by a live claim, an owed removal due, an abandoned write due and
// not held by a live claim. A wrong "no" would leave work undone. (Writes go
// through $transaction: outside one, the SQLite client sends them to its
// read-only reader.)
import { randomUUID } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import { useMigratedTestDatabase } from "../support/migratedTestDatabase.ts";
import { addUser } from "../../src/auth/users.ts";
import { readDueWork } from "../../src/transfers/dueWork.ts";

const database = useMigratedTestDatabase("smsync-due-work-");
const now = new Date("2026-06-01T12:00:00.000Z");
const past = new Date(now.getTime() - 1_000);
const future = new Date(now.getTime() + 1_000);

afterEach(async () => {
  const { db } = database;
  await db.$transaction(async (tx) => {
    await tx.operation.deleteMany();
    await tx.owedCloudRemoval.deleteMany();
    await tx.abandonedCloudWrite.deleteMany();
  });
});

async function newUser() {
  return addUser(database.db, `due-${randomUUID().slice(0, 8)}`);
}

async function addOperation(fields: { state: string; nextAttemptAt: Date; claimExpiresAt?: Date }) {
  const { userId, deviceId } = await newUser();
  await database.db.$transaction((tx) =>
    tx.operation.create({
      data: {
        id: randomUUID(),
        userId,
        deviceId,
        kind: "OUTBOUND",
        fencingToken: 1,
        filesTotal: 1,
        bytesTotal: 1n,
        ...(fields.claimExpiresAt ? { claimedBy: "another-worker" } : {}),
        ...fields,
      },
    }),
  );
}

it("finds nothing due in an empty database", async () => {
  expect(await readDueWork(database.db, now)).toEqual({ transfer: false, removal: false });
});

it("finds a transfer due when it is runnable, its next attempt has come, and no live claim holds it", async () => {
  const cases: [Parameters<typeof addOperation>[0], boolean][] = [
    [{ state: "NOT_STARTED", nextAttemptAt: past }, true],
    [{ state: "IN_PROGRESS", nextAttemptAt: now }, true],
    [{ state: "IN_PROGRESS", nextAttemptAt: past, claimExpiresAt: past }, true],
    [{ state: "IN_PROGRESS", nextAttemptAt: past, claimExpiresAt: future }, false],
    [{ state: "NOT_STARTED", nextAttemptAt: future }, false],
    [{ state: "SUCCEEDED", nextAttemptAt: past }, false],
    [{ state: "FAILED", nextAttemptAt: past }, false],
  ];
  for (const [operation, due] of cases) {
    await database.db.$transaction((tx) => tx.operation.deleteMany());
    await addOperation(operation);
    expect(await readDueWork(database.db, now), JSON.stringify(operation)).toEqual({ transfer: due, removal: false });
  }
});

it("finds a removal due when an owed removal's next attempt has come", async () => {
  const { userId } = await newUser();
  const owed = { userId, objectId: "object-1", fileUUID: randomUUID(), operationId: randomUUID() };
  await database.db.$transaction((tx) => tx.owedCloudRemoval.create({ data: { ...owed, nextAttemptAt: future } }));
  expect(await readDueWork(database.db, now)).toEqual({ transfer: false, removal: false });
  await database.db.$transaction((tx) =>
    tx.owedCloudRemoval.update({
      where: { userId_objectId: { userId, objectId: owed.objectId } },
      data: { nextAttemptAt: past },
    }),
  );
  expect(await readDueWork(database.db, now)).toEqual({ transfer: false, removal: true });
});

it("finds a removal due when an abandoned write's next attempt has come and no live claim holds it", async () => {
  const { userId } = await newUser();
  const cases: [{ nextAttemptAt: Date; claimExpiresAt?: Date }, boolean][] = [
    [{ nextAttemptAt: past }, true],
    [{ nextAttemptAt: past, claimExpiresAt: past }, true],
    [{ nextAttemptAt: past, claimExpiresAt: future }, false],
    [{ nextAttemptAt: future }, false],
  ];
  for (const [write, due] of cases) {
    await database.db.$transaction((tx) => tx.abandonedCloudWrite.deleteMany());
    const claim = write.claimExpiresAt ? { claimedBy: "another-worker" } : {};
    await database.db.$transaction((tx) =>
      tx.abandonedCloudWrite.create({
        data: { userId, fileUUID: randomUUID(), version: 0, operationId: randomUUID(), ...claim, ...write },
      }),
    );
    expect(await readDueWork(database.db, now), JSON.stringify(write)).toEqual({ transfer: false, removal: due });
  }
});
