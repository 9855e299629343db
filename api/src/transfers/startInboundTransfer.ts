// startInboundTransfer: the server copies files from the cloud into staging
// asynchronously, then releases the lock; the client downloads them by GET.
import { randomUUID } from "node:crypto";
import type { Caller } from "../auth/deviceTokens.ts";
import type { Transaction } from "../database/client.ts";
import { queryInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { chunksOf } from "../database/statementChunks.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import type { EventBatch } from "../events/eventLog.ts";
import { checkFileUUID, checkVersion } from "../fileIndex/fileNames.ts";
import { bindLockToTransfer, requireIdleLock } from "../locks/locks.ts";
import { createOperationItems } from "./operationItems.ts";
import { loadOperationView, type OperationView } from "./operationView.ts";

export const maxFilesPerInboundTransfer = 10_000;

/** What the call needs of a file's index row. */
interface IndexRow {
  fileUUID: string;
  version: number;
  deleted: boolean;
  size: bigint;
  sha256: string;
  cloudObjectId: string | null;
}

/** An index row as either driver returns it (sqliteRaw.ts: booleans as 0/1, integers as numbers). */
type RawIndexRow = Omit<IndexRow, "version" | "deleted" | "size"> & {
  version: number | bigint;
  deleted: boolean | number;
  size: number | bigint;
};

export async function startInboundTransfer(
  tx: Transaction,
  events: EventBatch,
  caller: Caller,
  fencingToken: number,
  requested: { fileUUID: string; version: number }[],
): Promise<OperationView> {
  if (requested.length === 0 || requested.length > maxFilesPerInboundTransfer) {
    throw new SmsyncError("BAD_INPUT", `files must name 1 to ${maxFilesPerInboundTransfer} files`);
  }
  const files = requested.map((file) => ({
    fileUUID: checkFileUUID(file.fileUUID),
    version: checkVersion(file.version),
  }));
  if (new Set(files.map((file) => file.fileUUID)).size !== files.length) {
    throw new SmsyncError("BAD_INPUT", "files names a file more than once");
  }
  await requireIdleLock(tx, caller, fencingToken);

  // Raw (transactionRaw.ts), as the staged files' read below: Prisma's compiled query of a list of a thousand
  // files cost more CPU than the rest of the call.
  const entries: IndexRow[] = [];
  for (const chunk of chunksOf(files)) {
    const rows = await queryInTransaction<RawIndexRow>(
      tx,
      Prisma.sql`SELECT "fileUUID", "version", "deleted", "size", "sha256", "cloudObjectId" FROM "FileEntry"
        WHERE "userId" = ${caller.userId} AND "fileUUID" IN (${Prisma.join(chunk.map((file) => file.fileUUID))})`,
    );
    for (const row of rows) {
      entries.push({ ...row, version: Number(row.version), deleted: Boolean(row.deleted), size: BigInt(row.size) });
    }
  }
  const byUUID = new Map(entries.map((entry) => [entry.fileUUID, entry]));
  for (const file of files) {
    const entry = byUUID.get(file.fileUUID);
    if (!entry)
      throw new SmsyncError("UNKNOWN_FILE", `file ${file.fileUUID} is not in the file index`, {
        fileUUID: file.fileUUID,
      });
    if (entry.deleted)
      throw new SmsyncError("FILE_DELETED", `file ${file.fileUUID} is deleted`, { fileUUID: file.fileUUID });
    if (entry.version !== file.version) {
      throw new SmsyncError(
        "WRONG_VERSION",
        `file ${file.fileUUID} is at version ${entry.version}, not ${file.version}`,
        {
          fileUUID: file.fileUUID,
          expectedVersion: entry.version,
        },
      );
    }
  }
  const staged = new Set<string>();
  const wanted = new Map(files.map((file) => [file.fileUUID, file.version]));
  for (const chunk of chunksOf(files)) {
    const rows = await queryInTransaction<{ fileUUID: string; version: number | bigint }>(
      tx,
      Prisma.sql`SELECT "fileUUID", "version" FROM "InboundStagedFile"
        WHERE "userId" = ${caller.userId} AND "fileUUID" IN (${Prisma.join(chunk.map((file) => file.fileUUID))})`,
    );
    for (const row of rows) if (wanted.get(row.fileUUID) === Number(row.version)) staged.add(row.fileUUID);
  }

  const operationId = randomUUID();
  const items = files.map((file) => {
    const entry = byUUID.get(file.fileUUID)!;
    return {
      fileUUID: file.fileUUID,
      version: file.version,
      action: "DOWNLOAD",
      state: staged.has(file.fileUUID) ? "DONE" : "PENDING",
      size: entry.size,
      sha256: entry.sha256,
      cloudObjectId: entry.cloudObjectId,
    };
  });
  await tx.operation.create({
    data: {
      id: operationId,
      userId: caller.userId,
      deviceId: caller.deviceId,
      kind: "INBOUND",
      state: "NOT_STARTED",
      fencingToken,
      nextAttemptAt: new Date(),
      filesTotal: items.length,
      bytesTotal: items.reduce((sum, item) => sum + item.size, 0n),
      filesDone: items.filter((item) => item.state === "DONE").length,
      bytesDone: items.filter((item) => item.state === "DONE").reduce((sum, item) => sum + item.size, 0n),
    },
  });
  await createOperationItems(tx, operationId, items);
  await bindLockToTransfer(tx, caller.userId, operationId);
  await events.append({
    userId: caller.userId,
    operationId,
    type: "OPERATION_STATE",
    payload: { state: "NOT_STARTED" },
  });
  return (await loadOperationView(tx, caller.userId, operationId))!;
}
