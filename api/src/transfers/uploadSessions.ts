// The cloud's resumable upload session of an outbound item, kept on its
// OperationItem row (cloudUploadSession), so that a server started again
// after a crash resumes the upload where the cloud got to instead of sending
// the file again. The index update clears it.
import type { UploadSessionRecord } from "../cloud/CloudStorage.ts";
import type { Database } from "../database/client.ts";

export function uploadSessionOf(db: Database, operationId: string, fileUUID: string): UploadSessionRecord {
  const where = { operationId_fileUUID: { operationId, fileUUID } };
  return {
    async load() {
      const item = await db.operationItem.findUnique({ where, select: { cloudUploadSession: true } });
      return item?.cloudUploadSession ?? null;
    },
    async save(session) {
      await db.$transaction((tx) => tx.operationItem.update({ where, data: { cloudUploadSession: session } }));
    },
  };
}
