// tus's onIncomingRequest for HEAD and GET: only the upload's owner may ask
// for its offset or read its bytes (sending them needs the lock too:
// onIncomingWrite.ts). A HEAD never checks
// an upload's bytes: the write that brought the last byte does
// (LastByteCheck.ts), under tus's lock on the upload, which a HEAD waits for.
import type { Services } from "../../services.ts";
import { requireOwnUpload } from "./uploadCaller.ts";

export function onIncomingOwnedRequest(services: Services) {
  return async (req: Request, uploadId: string): Promise<void> => {
    await requireOwnUpload(services, req.headers.get("authorization"), uploadId);
  };
}
