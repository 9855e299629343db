// The number of rows of every table the control plane writes: equal
// before and after a rejected call means the call wrote nothing.
import { expect } from "vitest";
import type { Database } from "@smsync/api";

export async function rowCounts(db: Database) {
  return settledAll({
    locks: db.lock.findMany({ orderBy: { userId: "asc" } }),
    stagedUploads: db.stagedUpload.count(),
    uploadDeletions: db.uploadDeletion.count(),
    operations: db.operation.count(),
    items: db.operationItem.count(),
    files: db.fileEntry.findMany({ orderBy: [{ userId: "asc" }, { fileUUID: "asc" }] }),
    events: db.event.count(),
    idempotency: db.idempotencyRecord.count(),
    users: db.user.count(),
    devices: db.device.count(),
    tokens: db.token.count(),
    googleAccounts: db.googleAccount.findMany({ orderBy: { userId: "asc" } }),
  });
}

/** Each read's result under its name (the reads run at once): the names are written once. */
async function settledAll<T extends Record<string, PromiseLike<unknown>>>(
  reads: T,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const entries: [string, PromiseLike<unknown>][] = Object.entries(reads);
  const values = await Promise.all(entries.map(([, read]) => read));
  return Object.fromEntries(entries.map(([name], i) => [name, values[i]])) as { [K in keyof T]: Awaited<T[K]> };
}

/** Makes a call that must be refused, and asserts that it wrote nothing (the row counts before and after are equal). */
export async function refusedWithoutWrites<T>(db: Database, call: () => Promise<T>): Promise<T> {
  const before = await rowCounts(db);
  const result = await call();
  expect(await rowCounts(db)).toEqual(before);
  return result;
}
