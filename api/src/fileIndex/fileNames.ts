// Validation of the fileUUIDs and versions a client names, by the rules both
// sides share (@smsync/protocol); BAD_INPUT naming the field when one is broken.
import { readFileUUID, readVersion } from "@smsync/protocol";
import { badInputIfBroken } from "../errors/brokenWireRule.ts";

export { maxAppMetaDataBytes, maxCloudFileNameBytes } from "@smsync/protocol";

export function checkFileUUID(fileUUID: string): string {
  return badInputIfBroken(() => readFileUUID(fileUUID));
}

export function checkVersion(version: number): number {
  return badInputIfBroken(() => readVersion(version));
}
