// A value that breaks a rule of the shared wire contract (@smsync/protocol
// throws UploadMetadataError) becomes the error a client acts on: BAD_INPUT,
// naming the field.
import { UploadMetadataError } from "@smsync/protocol";
import { SmsyncError } from "./SmsyncError.ts";

/** read(), with a broken rule thrown as BAD_INPUT. */
export function badInputIfBroken<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UploadMetadataError)
      throw new SmsyncError("BAD_INPUT", error.message, error.field ? { field: error.field } : {});
    throw error;
  }
}
