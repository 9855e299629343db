// tus's onUploadFinish (PATCH, and POST for a zero-length upload): answers
// with the sha256 of the checked bytes. The PATCH that brought the last byte
// has checked them already (CheckingFileStore.write), so this only reads the
// outcome; a zero-length creation writes nothing, and is checked here.
import type { Upload } from "@tus/utils";
import type { LastByteCheck } from "../LastByteCheck.ts";

export function onUploadFinish(lastByteCheck: LastByteCheck) {
  return async (_req: Request, upload: Upload) => ({
    headers: { "Upload-Sha256": await lastByteCheck.run(upload.id) },
  });
}
