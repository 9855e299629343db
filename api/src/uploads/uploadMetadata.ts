// The tus Upload-Metadata of an smsync upload, validated.
//   fileUUID, version, sha256, cloudFileName, mimeType   required
//   fencingToken                                         required: the caller's lock grant
//   appMetaData (JSON), undelete ("true")                optional
import { Metadata } from "@tus/utils";
import { SmsyncError } from "../errors/SmsyncError.ts";
import {
  checkAppMetaData,
  checkCloudFileName,
  checkFileUUID,
  checkMimeType,
  checkSha256,
  checkVersion,
} from "../fileIndex/fileNames.ts";

export interface UploadMetadata {
  fileUUID: string;
  version: number;
  sha256: string;
  cloudFileName: string;
  mimeType: string;
  appMetaData: string | null;
  fencingToken: number;
  undelete: boolean;
}

function required(metadata: Record<string, string | null | undefined>, key: string): string {
  const value = metadata[key];
  if (value === undefined || value === null || value === "") {
    throw new SmsyncError("BAD_INPUT", `Upload-Metadata lacks ${key}`, { field: key });
  }
  return value;
}

function wholeNumber(key: string, text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new SmsyncError("BAD_INPUT", `${key} must be a whole number`, { field: key });
  return Number(text);
}

export function parseUploadMetadata(metadata: Record<string, string | null | undefined>): UploadMetadata {
  return {
    fileUUID: checkFileUUID(required(metadata, "fileUUID")),
    version: checkVersion(wholeNumber("version", required(metadata, "version"))),
    sha256: checkSha256(required(metadata, "sha256")),
    cloudFileName: checkCloudFileName(required(metadata, "cloudFileName")),
    mimeType: checkMimeType(required(metadata, "mimeType")),
    appMetaData: checkAppMetaData(metadata.appMetaData),
    fencingToken: wholeNumber("fencingToken", required(metadata, "fencingToken")),
    undelete: metadata.undelete === "true",
  };
}

// Invalid UTF-8 (a stray 0xFF, CESU-8 surrogates, an overlong "/", a cut
// sequence) is refused, not replaced by U+FFFD: different bytes must not
// collapse into one name. A leading BOM is kept, not silently dropped.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The pairs of an Upload-Metadata header, each value decoded as strict UTF-8. */
function decodeUploadMetadataHeader(header: string | null | undefined): Record<string, string | null> {
  if (!header?.trim()) return {}; // each required key is then named as missing
  try {
    Metadata.parse(header); // the header's shape: key, space, Base64
  } catch {
    throw new SmsyncError("BAD_INPUT", "Upload-Metadata is malformed");
  }
  const decoded: Record<string, string | null> = {};
  for (const pair of header.split(",")) {
    const [key, value] = pair.split(" ");
    try {
      decoded[key] = value === undefined ? null : strictUtf8.decode(Buffer.from(value, "base64"));
    } catch {
      throw new SmsyncError("BAD_INPUT", `Upload-Metadata ${key} is not valid UTF-8`, { field: key });
    }
  }
  return decoded;
}

export function parseUploadMetadataHeader(header: string | null | undefined): UploadMetadata {
  return parseUploadMetadata(decodeUploadMetadataHeader(header));
}
