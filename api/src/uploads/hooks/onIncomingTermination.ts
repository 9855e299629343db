// tus's onIncomingRequest for DELETE (termination): under the lock grant it
// was created under (uploadCaller.ts), the owner's uncommitted, unfinished
// upload loses its row before tus removes its bytes, so a commit
// right after the 204 no longer sees it; bytes left behind by a failure in
// between are swept as orphans.
import { SmsyncError } from "../../errors/SmsyncError.ts";
import type { Services } from "../../services.ts";
import type { CheckingFileStore } from "../CheckingFileStore.ts";
import { requireWritableUpload } from "./uploadCaller.ts";

export function onIncomingTermination(services: Services, store: CheckingFileStore) {
  return async (req: Request, uploadId: string): Promise<void> => {
    const row = await requireWritableUpload(services, req.headers.get("authorization"), uploadId);
    const refusal = new SmsyncError("BAD_INPUT", "a complete or committed upload cannot be terminated");
    // tus refuses to terminate an upload that has all its bytes: refuse before touching the row.
    const upload = await store.findUpload(row.id);
    if (upload && upload.offset === upload.size) throw refusal;
    const removed = await services.db.$transaction((tx) =>
      tx.stagedUpload.deleteMany({ where: { id: row.id, operationId: null, state: "UPLOADING" } }),
    );
    if (removed.count === 0) throw refusal;
  };
}
