// The file index: reading it, and the rules an upload or an upload-deletion
// must meet against it. Each rule is a typed error, checked before anything
// is written.
import { cloudFileNameKey, type NamedFile } from "@smsync/protocol";
import { chunksOf } from "../database/statementChunks.ts";
import { readOnlyRaw, type Transaction, type Database } from "../database/client.ts";
import { insertRows, queryInTransaction } from "../database/transactionRaw.ts";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";

export interface FileEntryView {
  fileUUID: string;
  cloudFileName: string;
  mimeType: string;
  appMetaData: string | null;
  version: number;
  deleted: boolean;
  size: number;
  sha256: string;
  updatedAt: string;
}

/** A row of the raw read: the user's event position beside each of their files (none: one row of nulls). */
interface IndexRow {
  eventSeq: number | bigint;
  fileUUID: string | null;
  cloudFileName: string;
  mimeType: string;
  appMetaData: string | null;
  version: number | bigint;
  deleted: boolean | number | bigint;
  size: number | bigint;
  sha256: string;
  updatedAt: Date | string | number;
}

export interface FileIndexRead {
  /** The user's event log position the files were read at. */
  eventSeq: number;
  files: FileEntryView[];
}

/**
 * The user's file index and the event position it was read at, in one raw
 * statement: one snapshot, so every change after the position is one the
 * files do not show yet; raw, as every device reads it at start and Prisma's
 * compiler would cost more than the read. Raw rows differ between providers
 * (SQLite: booleans as 0/1, dates as text or numbers; PostgreSQL: BigInt for
 * bigint), hence the normalizing.
 */
export async function readFileIndex(db: Database, userId: string): Promise<FileIndexRead | null> {
  const rows = await readOnlyRaw<IndexRow>(
    db,
    Prisma.sql`SELECT u."eventSeq", f."fileUUID", f."cloudFileName", f."mimeType", f."appMetaData", f."version",
      f."deleted", f."size", f."sha256", f."updatedAt"
      FROM "User" u LEFT JOIN "FileEntry" f ON f."userId" = u."id"
      WHERE u."id" = ${userId} ORDER BY f."fileUUID"`,
  );
  const [first] = rows;
  if (!first) return null;
  const files = rows.flatMap((row) =>
    row.fileUUID === null
      ? []
      : [
          {
            fileUUID: row.fileUUID,
            cloudFileName: row.cloudFileName,
            mimeType: row.mimeType,
            appMetaData: row.appMetaData,
            version: Number(row.version),
            deleted: Boolean(Number(row.deleted)),
            size: Number(row.size),
            sha256: row.sha256,
            updatedAt: new Date(row.updatedAt).toISOString(),
          },
        ],
  );
  return { eventSeq: Number(first.eventSeq), files };
}

export interface UploadIntent {
  fileUUID: string;
  version: number;
  cloudFileName: string;
  undelete: boolean;
}

/** The rules of the original for an upload; throws the typed error of the first one broken. */
export async function checkUploadAgainstIndex(
  tx: Transaction,
  batch: { userId: string; fencingToken: number },
  intent: UploadIntent,
): Promise<void> {
  await checkUploadsAgainstIndex(tx, batch, [intent]);
}

/** The index entries of these files (those it has), read a chunk of files per statement. */
async function indexEntriesOf(
  tx: Transaction,
  userId: string,
  fileUUIDs: readonly string[],
): Promise<Map<string, { version: number; deleted: boolean; cloudFileName: string }>> {
  const entries = new Map<string, { version: number; deleted: boolean; cloudFileName: string }>();
  for (const chunk of chunksOf(fileUUIDs)) {
    const rows = await queryInTransaction<{
      fileUUID: string;
      version: number | bigint;
      deleted: boolean | number;
      cloudFileName: string;
    }>(
      tx,
      Prisma.sql`SELECT "fileUUID", "version", "deleted", "cloudFileName" FROM "FileEntry"
        WHERE "userId" = ${userId} AND "fileUUID" IN (${Prisma.join(chunk)})`,
    );
    for (const row of rows) {
      entries.set(row.fileUUID, { ...row, version: Number(row.version), deleted: Boolean(row.deleted) });
    }
  }
  return entries;
}

/**
 * The upload rules for the files of a batch upload at once, in a few
 * queries whatever their number (each file as checkUploadAgainstIndex
 * would, in order; the first broken rule is thrown, naming its file). A
 * name is also checked against the batch's earlier files.
 */
export async function checkUploadsAgainstIndex(
  tx: Transaction,
  batch: { userId: string; fencingToken: number },
  intents: readonly UploadIntent[],
): Promise<void> {
  const { userId, fencingToken } = batch;
  // Raw (transactionRaw.ts), as takenNames: through Prisma, reading a batch's rows cost more CPU than checking them.
  const fileUUIDs = intents.map((intent) => intent.fileUUID);
  const entries = await indexEntriesOf(tx, userId, fileUUIDs);
  const deletions = new Set<string>();
  for (const chunk of chunksOf(fileUUIDs)) {
    const inChunk = Prisma.join(chunk);
    const recorded = await queryInTransaction<{ fileUUID: string }>(
      tx,
      Prisma.sql`SELECT "fileUUID" FROM "UploadDeletion" WHERE "userId" = ${userId}
        AND "fencingToken" = ${fencingToken} AND "operationId" IS NULL AND "fileUUID" IN (${inChunk})`,
    );
    for (const deletion of recorded) deletions.add(deletion.fileUUID);
  }
  const names = await takenNames(tx, userId, fencingToken);
  for (const intent of intents) {
    const entry = entries.get(intent.fileUUID);
    const expected = entry ? entry.version + 1 : 0;
    if (intent.version !== expected) {
      throw new SmsyncError(
        "WRONG_VERSION",
        `version ${intent.version} of file ${intent.fileUUID} is not the next one (expected ${expected})`,
        { fileUUID: intent.fileUUID, expectedVersion: expected },
      );
    }
    if (entry?.deleted && !intent.undelete) {
      throw new SmsyncError(
        "FILE_DELETED",
        `file ${intent.fileUUID} is deleted; upload it with undelete to restore it`,
        { fileUUID: intent.fileUUID },
      );
    }
    const currentName = entry && !entry.deleted ? entry.cloudFileName : undefined;
    const owner = currentName === intent.cloudFileName ? undefined : names.ownerOtherThan(intent);
    if (owner) {
      throw new SmsyncError(
        "CLOUD_NAME_TAKEN",
        `cloud file name ${JSON.stringify(intent.cloudFileName)} is taken by file ${owner.fileUUID} (${JSON.stringify(owner.cloudFileName)}): names that differ only in case or Unicode normalization are the same name`,
        { fileUUID: owner.fileUUID, cloudFileName: owner.cloudFileName },
      );
    }
    names.add(intent);
    if (deletions.has(intent.fileUUID)) {
      throw new SmsyncError(
        "UPLOAD_AND_DELETION_IN_BATCH",
        `file ${intent.fileUUID} has an upload-deletion in this batch`,
        { fileUUID: intent.fileUUID },
      );
    }
  }
}

/**
 * The names taken, by key (NFC and case folding, the shared rule of
 * @smsync/protocol): by the live files, and by the uploads staged in this
 * batch. The keys are computed here, not compared in SQL: neither SQLite nor
 * PostgreSQL folds case the way the clients' file systems do.
 */
async function takenNames(tx: Transaction, userId: string, fencingToken: number) {
  // Every live file of the user: raw, since Prisma's row mapping of a large account costs milliseconds a batch.
  const live = await queryInTransaction<NamedFile>(
    tx,
    Prisma.sql`SELECT "fileUUID", "cloudFileName" FROM "FileEntry" WHERE "userId" = ${userId} AND "deleted" = ${false}`,
  );
  const staged = await queryInTransaction<NamedFile>(
    tx,
    Prisma.sql`SELECT "fileUUID", "cloudFileName" FROM "StagedUpload"
      WHERE "userId" = ${userId} AND "fencingToken" = ${fencingToken} AND "operationId" IS NULL`,
  );
  const byKey = new Map<string, NamedFile[]>();
  const add = (file: NamedFile) => {
    const key = cloudFileNameKey(file.cloudFileName);
    byKey.set(key, [...(byKey.get(key) ?? []), file]);
  };
  for (const file of [...live, ...staged]) add(file);
  return {
    add,
    /** A file other than `intent`'s own that has its name's key. */
    ownerOtherThan: (intent: UploadIntent) =>
      byKey.get(cloudFileNameKey(intent.cloudFileName))?.find((file) => file.fileUUID !== intent.fileUUID),
  };
}

/**
 * Records a batch's upload-deletions under the grant, each checked against
 * the index by the rules of checkDeletionAgainstIndex (in order; the first
 * broken rule is thrown, naming its file). A deletion the grant already
 * recorded is kept; one an earlier grant recorded is replaced. A few
 * statements per chunk of files, not a few per file: a folder deleted with
 * thousands of files in it is one batch.
 */
export async function recordUploadDeletions(
  tx: Transaction,
  batch: { userId: string; deviceId: string; fencingToken: number },
  files: readonly { fileUUID: string; version: number }[],
): Promise<void> {
  const { userId, fencingToken } = batch;
  const fileUUIDs = files.map((file) => file.fileUUID);
  const entries = await indexEntriesOf(tx, userId, fileUUIDs);
  const recorded = new Map<string, { fencingToken: number; operationId: string | null }>();
  const staged = new Set<string>();
  const recordedKey = (fileUUID: string, version: number) => `${fileUUID} ${version}`;
  for (const chunk of chunksOf(fileUUIDs)) {
    const inChunk = Prisma.join(chunk);
    const deletionRows = await queryInTransaction<{
      fileUUID: string;
      version: number | bigint;
      fencingToken: number | bigint;
      operationId: string | null;
    }>(
      tx,
      Prisma.sql`SELECT "fileUUID", "version", "fencingToken", "operationId" FROM "UploadDeletion"
        WHERE "userId" = ${userId} AND "fileUUID" IN (${inChunk})`,
    );
    for (const row of deletionRows) {
      recorded.set(recordedKey(row.fileUUID, Number(row.version)), {
        fencingToken: Number(row.fencingToken),
        operationId: row.operationId,
      });
    }
    const stagedRows = await queryInTransaction<{ fileUUID: string }>(
      tx,
      Prisma.sql`SELECT DISTINCT "fileUUID" FROM "StagedUpload" WHERE "userId" = ${userId}
        AND "fencingToken" = ${fencingToken} AND "operationId" IS NULL AND "fileUUID" IN (${inChunk})`,
    );
    for (const row of stagedRows) staged.add(row.fileUUID);
  }
  const replaced: { fileUUID: string; version: number }[] = [];
  const created: { fileUUID: string; version: number }[] = [];
  for (const file of files) {
    const before = recorded.get(recordedKey(file.fileUUID, file.version));
    if (before && before.fencingToken === fencingToken && !before.operationId) continue;
    deletionRuleBroken(file, entries.get(file.fileUUID), staged.has(file.fileUUID));
    if (before) replaced.push(file);
    created.push(file);
  }
  // An earlier grant's record of the same deletion (rare: a device that lost its grant and asks again).
  for (const file of replaced) {
    await tx.uploadDeletion.delete({ where: { userId_fileUUID_version: { userId, ...file } } });
  }
  const createdAt = new Date();
  await insertRows(
    tx,
    "UploadDeletion",
    created.map((file) => ({ userId, deviceId: batch.deviceId, fencingToken, ...file, createdAt })),
  );
}

/** Throws the first rule an upload-deletion of `file` breaks, given its index entry and whether the batch stages an upload of it. */
function deletionRuleBroken(
  file: { fileUUID: string; version: number },
  entry: { version: number; deleted: boolean } | null | undefined,
  stagedInBatch: boolean,
): void {
  const { fileUUID, version } = file;
  if (!entry) throw new SmsyncError("UNKNOWN_FILE", `file ${fileUUID} is not in the file index`, { fileUUID });
  if (entry.deleted) throw new SmsyncError("ALREADY_DELETED", `file ${fileUUID} is already deleted`, { fileUUID });
  if (entry.version !== version) {
    throw new SmsyncError(
      "WRONG_VERSION",
      `file ${fileUUID} is at version ${entry.version}, not ${version}: read the file index again`,
      { fileUUID, expectedVersion: entry.version },
    );
  }
  if (stagedInBatch) {
    throw new SmsyncError("UPLOAD_AND_DELETION_IN_BATCH", `file ${fileUUID} has a staged upload in this batch`, {
      fileUUID,
    });
  }
}
