// The file index: reading it, and the rules an upload or an upload-deletion
// must meet against it. Each rule is a typed error, checked before anything
// is written.
import { cloudFileNameOwner } from "@smsync/protocol";
import type { Transaction, Database } from "../database/client.ts";
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

type FileEntryRow = NonNullable<Awaited<ReturnType<Database["fileEntry"]["findUnique"]>>>;

export function fileEntryView(row: FileEntryRow): FileEntryView {
  return {
    fileUUID: row.fileUUID,
    cloudFileName: row.cloudFileName,
    mimeType: row.mimeType,
    appMetaData: row.appMetaData,
    version: row.version,
    deleted: row.deleted,
    size: Number(row.size),
    sha256: row.sha256,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function readFileIndex(db: Database, userId: string): Promise<FileEntryView[]> {
  const rows = await db.fileEntry.findMany({ where: { userId }, orderBy: { fileUUID: "asc" } });
  return rows.map(fileEntryView);
}

export interface UploadIntent {
  userId: string;
  fileUUID: string;
  version: number;
  cloudFileName: string;
  fencingToken: number;
  undelete: boolean;
}

/** The rules of the original for an upload; throws the typed error of the first one broken. */
export async function checkUploadAgainstIndex(tx: Transaction, intent: UploadIntent): Promise<void> {
  const entry = await tx.fileEntry.findUnique({
    where: { userId_fileUUID: { userId: intent.userId, fileUUID: intent.fileUUID } },
  });
  const expected = entry ? entry.version + 1 : 0;
  if (intent.version !== expected) {
    throw new SmsyncError(
      "WRONG_VERSION",
      `version ${intent.version} of file ${intent.fileUUID} is not the next one (expected ${expected})`,
      { expectedVersion: expected },
    );
  }
  if (entry?.deleted && !intent.undelete) {
    throw new SmsyncError("FILE_DELETED", `file ${intent.fileUUID} is deleted; upload it with undelete to restore it`);
  }
  await checkCloudFileNameFree(tx, intent, entry && !entry.deleted ? entry.cloudFileName : undefined);
  const deletion = await tx.uploadDeletion.findFirst({
    where: { userId: intent.userId, fileUUID: intent.fileUUID, fencingToken: intent.fencingToken, operationId: null },
  });
  if (deletion) {
    throw new SmsyncError(
      "UPLOAD_AND_DELETION_IN_BATCH",
      `file ${intent.fileUUID} has an upload-deletion in this batch`,
      {
        fileUUID: intent.fileUUID,
      },
    );
  }
}

/**
 * CLOUD_NAME_TAKEN if another live file, or another upload staged in this
 * batch, has the name: compared by key (NFC and case folding, the shared
 * rule of @smsync/protocol). The names are compared here, not in SQL:
 * neither SQLite nor PostgreSQL folds case the way the clients' file
 * systems do.
 */
async function checkCloudFileNameFree(
  tx: Transaction,
  intent: UploadIntent,
  currentName: string | undefined,
): Promise<void> {
  const named = { fileUUID: true, cloudFileName: true } as const;
  const liveFiles = await tx.fileEntry.findMany({
    where: { userId: intent.userId, deleted: false, NOT: { fileUUID: intent.fileUUID } },
    select: named,
  });
  const stagedFiles = await tx.stagedUpload.findMany({
    where: {
      userId: intent.userId,
      fencingToken: intent.fencingToken,
      operationId: null,
      NOT: { fileUUID: intent.fileUUID },
    },
    select: named,
  });
  const owner = cloudFileNameOwner(intent.fileUUID, intent.cloudFileName, currentName, [...liveFiles, ...stagedFiles]);
  if (owner) {
    throw new SmsyncError(
      "CLOUD_NAME_TAKEN",
      `cloud file name ${JSON.stringify(intent.cloudFileName)} is taken by file ${owner.fileUUID} (${JSON.stringify(owner.cloudFileName)}): names that differ only in case or Unicode normalization are the same name`,
      { fileUUID: owner.fileUUID, cloudFileName: owner.cloudFileName },
    );
  }
}

/** The rules for an upload-deletion of version `version` of a file. */
export async function checkDeletionAgainstIndex(
  tx: Transaction,
  userId: string,
  fileUUID: string,
  version: number,
  fencingToken: number,
): Promise<void> {
  const entry = await tx.fileEntry.findUnique({ where: { userId_fileUUID: { userId, fileUUID } } });
  if (!entry) throw new SmsyncError("UNKNOWN_FILE", `file ${fileUUID} is not in the file index`, { fileUUID });
  if (entry.deleted) throw new SmsyncError("ALREADY_DELETED", `file ${fileUUID} is already deleted`, { fileUUID });
  if (entry.version !== version) {
    throw new SmsyncError(
      "WRONG_VERSION",
      `file ${fileUUID} is at version ${entry.version}, not ${version}: read the file index again`,
      { fileUUID, expectedVersion: entry.version },
    );
  }
  const staged = await tx.stagedUpload.findFirst({
    where: { userId, fileUUID, fencingToken, operationId: null },
  });
  if (staged) {
    throw new SmsyncError("UPLOAD_AND_DELETION_IN_BATCH", `file ${fileUUID} has a staged upload in this batch`, {
      fileUUID,
    });
  }
}
