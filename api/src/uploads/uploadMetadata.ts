// The Upload-Metadata header of a creation, decoded and checked by the rules
// the client encodes it by (@smsync/protocol, uploadMetadata.ts).
import { decodeUploadMetadataHeader, readUploadMetadata, type ReadUploadMetadata } from "@smsync/protocol";
import { badInputIfBroken } from "../errors/brokenWireRule.ts";

/** Decoded again from the header by the creation hook: tus decodes it leniently (invalid UTF-8 becomes U+FFFD). */
export function parseUploadMetadataHeader(header: string | null | undefined): ReadUploadMetadata {
  return badInputIfBroken(() => readUploadMetadata(decodeUploadMetadataHeader(header)));
}
