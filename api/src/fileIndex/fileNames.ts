// Validation of the names a client gives: fileUUIDs and cloud file names.
import { checkCloudFileName as checkSharedRules } from "@smsync/protocol";
import { SmsyncError } from "../errors/SmsyncError.ts";

export { maxCloudFileNameBytes } from "@smsync/protocol";
export const maxMimeTypeLength = 255;
export const maxAppMetaDataBytes = 64 * 1024;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const sha256Pattern = /^[0-9a-f]{64}$/i;
const mimeTypePattern = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;.*)?$/i;

export function checkFileUUID(fileUUID: string): string {
  if (!uuidPattern.test(fileUUID)) {
    throw new SmsyncError("BAD_INPUT", `fileUUID ${JSON.stringify(fileUUID)} is not a UUID`, { field: "fileUUID" });
  }
  return fileUUID.toLowerCase();
}

/** The name as stored (NFC), by the rules both sides share (@smsync/protocol); BAD_INPUT if it breaks one. */
export function checkCloudFileName(name: string): string {
  const checked = checkSharedRules(name);
  if (!checked.ok) {
    throw new SmsyncError("BAD_INPUT", `cloudFileName ${JSON.stringify(name)} ${checked.problem}`, { field: "cloudFileName" });
  }
  return checked.name;
}

export function checkSha256(sha256: string): string {
  if (!sha256Pattern.test(sha256)) {
    throw new SmsyncError("BAD_INPUT", "sha256 must be 64 hexadecimal digits", { field: "sha256" });
  }
  return sha256.toLowerCase();
}

export function checkMimeType(mimeType: string): string {
  if (mimeType.length > maxMimeTypeLength || !mimeTypePattern.test(mimeType)) {
    throw new SmsyncError("BAD_INPUT", `mimeType ${JSON.stringify(mimeType)} is not a media type`, { field: "mimeType" });
  }
  return mimeType;
}

export function checkAppMetaData(appMetaData: string | null | undefined): string | null {
  if (appMetaData === null || appMetaData === undefined || appMetaData === "") return null;
  if (Buffer.byteLength(appMetaData, "utf8") > maxAppMetaDataBytes) {
    throw new SmsyncError("BAD_INPUT", `appMetaData is larger than ${maxAppMetaDataBytes} bytes`, { field: "appMetaData" });
  }
  try {
    JSON.parse(appMetaData);
  } catch {
    throw new SmsyncError("BAD_INPUT", "appMetaData is not valid JSON", { field: "appMetaData" });
  }
  return appMetaData;
}

export function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new SmsyncError("BAD_INPUT", `version ${version} must be a whole number >= 0`, { field: "version" });
  }
  return version;
}
