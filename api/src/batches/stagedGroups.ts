// The rows of a batch upload's files: which the server holds already, and
// the recording of a group of files written into staging (one transaction,
// replacing uncommitted uploads of the same versions, as a tus creation
// does).
import type { ReadBatchUploadFile } from "@smsync/protocol";
import type { Caller } from "../auth/deviceTokens.ts";
import type { Transaction } from "../database/client.ts";
import { chunksOf } from "../database/statementChunks.ts";
import { insertRows } from "../database/transactionRaw.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import { requireIdleLock } from "../locks/locks.ts";
import type { Services } from "../services.ts";

export type StagedFile = ReadBatchUploadFile & { uploadId: string };

type Batch = { userId: string; fencingToken: number };

/** The files staged already, complete and uncommitted, with the same content under this grant: by fileUUID. */
export async function heldUploads(tx: Transaction, batch: Batch, files: readonly ReadBatchUploadFile[]) {
  const wanted = new Map(files.map((file) => [file.fileUUID, file]));
  const held = new Set<string>();
  for (const chunk of chunksOf([...wanted.keys()])) {
    const rows = await tx.stagedUpload.findMany({
      where: { ...batch, operationId: null, state: "COMPLETE", fileUUID: { in: chunk } },
      select: { fileUUID: true, version: true, sha256: true, size: true },
    });
    for (const row of rows) {
      const file = wanted.get(row.fileUUID);
      if (file && file.version === row.version && file.sha256 === row.sha256 && BigInt(file.size) === row.size)
        held.add(row.fileUUID);
    }
  }
  return held;
}

/**
 * Records a group of files whose bytes are durable in staging: COMPLETE
 * rows under the caller's idle lock, in one transaction. An uncommitted
 * upload of the same version (another content, or a tus upload) is replaced.
 */
export async function recordStagedGroup(
  services: Services,
  caller: Caller,
  fencingToken: number,
  group: readonly StagedFile[],
): Promise<void> {
  if (group.length === 0) return;
  const { db, clock, staging } = services;
  const replaced = await db.$transaction(async (tx) => {
    await requireIdleLock(tx, caller, fencingToken);
    const versions = new Map(group.map((file) => [file.fileUUID, file.version]));
    const previous = (
      await tx.stagedUpload.findMany({
        where: { userId: caller.userId, fileUUID: { in: [...versions.keys()] } },
        select: { id: true, fileUUID: true, version: true, operationId: true },
      })
    ).filter((row) => versions.get(row.fileUUID) === row.version);
    const committed = previous.find((row) => row.operationId);
    if (committed) {
      throw new SmsyncError(
        "WRONG_VERSION",
        `version ${committed.version} of ${committed.fileUUID} is committed already`,
        { fileUUID: committed.fileUUID },
      );
    }
    if (previous.length) await tx.stagedUpload.deleteMany({ where: { id: { in: previous.map((row) => row.id) } } });
    const now = clock.now();
    const rows = group.map((file) => ({
      id: file.uploadId,
      userId: caller.userId,
      deviceId: caller.deviceId,
      fileUUID: file.fileUUID,
      version: file.version,
      sha256: file.sha256,
      cloudFileName: file.cloudFileName,
      mimeType: file.mimeType,
      appMetaData: file.appMetaData,
      size: BigInt(file.size),
      undelete: file.undelete,
      fencingToken,
      state: "COMPLETE",
      // The age the sweeper expires it by, on the server's clock.
      createdAt: now,
      completedAt: now,
    }));
    await insertRows(tx, "StagedUpload", rows);
    return previous;
  });
  for (const row of replaced) staging.removeUpload(row.id);
}
