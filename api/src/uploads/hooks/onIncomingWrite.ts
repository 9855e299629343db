// tus's onIncomingRequest for PATCH: only the owner's device holding the
// user's lock, under the grant the upload was created under, sends its bytes
// (docs/protocol.md: every write needs the caller's lock and fencing token).
import type { Services } from "../../services.ts";
import { requireWritableUpload } from "./uploadCaller.ts";

export function onIncomingWrite(services: Services) {
  return async (req: Request, uploadId: string): Promise<void> => {
    await requireWritableUpload(services, req.headers.get("authorization"), uploadId);
  };
}
