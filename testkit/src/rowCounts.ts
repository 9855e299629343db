// The number of rows of every table the control plane writes: equal
// before and after a rejected call means the call wrote nothing.
import { expect } from "vitest";
import type { Database } from "@smsync/api";

export async function rowCounts(db: Database) {
  const [
    locks,
    stagedUploads,
    uploadDeletions,
    operations,
    items,
    files,
    events,
    idempotency,
    users,
    devices,
    tokens,
    googleAccounts,
  ] = await Promise.all([
    db.lock.findMany({ orderBy: { userId: "asc" } }),
    db.stagedUpload.count(),
    db.uploadDeletion.count(),
    db.operation.count(),
    db.operationItem.count(),
    db.fileEntry.findMany({ orderBy: [{ userId: "asc" }, { fileUUID: "asc" }] }),
    db.event.count(),
    db.idempotencyRecord.count(),
    db.user.count(),
    db.device.count(),
    db.token.count(),
    db.googleAccount.findMany({ orderBy: { userId: "asc" } }),
  ]);
  return {
    locks,
    stagedUploads,
    uploadDeletions,
    operations,
    items,
    files,
    events,
    idempotency,
    users,
    devices,
    tokens,
    googleAccounts,
  };
}

/** Makes a call that must be refused, and asserts that it wrote nothing (the row counts before and after are equal). */
export async function refusedWithoutWrites<T>(db: Database, call: () => Promise<T>): Promise<T> {
  const before = await rowCounts(db);
  const result = await call();
  expect(await rowCounts(db)).toEqual(before);
  return result;
}
