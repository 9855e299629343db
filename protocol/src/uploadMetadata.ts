// The tus Upload-Metadata of an smsync upload (docs/protocol.md, "Uploading
// a batch"): its keys, how the client encodes them, how the server decodes
// the header, and what each value may be. The client encodes with
// encodeUploadMetadata (tus-js-client adds the Base64); the server reads the
// header with decodeUploadMetadataHeader and readUploadMetadata.
//
//   fileUUID, version, sha256, cloudFileName, mimeType   required
//   fencingToken                                         required: the lock grant's
//   appMetaData (JSON), undelete ("true")                optional
import { checkCloudFileName } from "./cloudFileNames.ts";

export const maxMimeTypeLength = 255;
export const maxAppMetaDataBytes = 64 * 1024;

export interface UploadMetadata {
  fileUUID: string;
  /** The index version + 1 (0 for a new file). */
  version: number;
  /** Hex SHA-256 of the whole content. */
  sha256: string;
  cloudFileName: string;
  mimeType: string;
  /** JSON text, at most 64 KiB. */
  appMetaData?: string | null;
  /** The lock grant's fencing token. */
  fencingToken: number;
  /** Upload a new version of a deleted file. */
  undelete?: boolean;
}

/** The metadata as the server reads it: checked, in stored form, the optional keys given their defaults. */
export interface ReadUploadMetadata extends UploadMetadata {
  appMetaData: string | null;
  undelete: boolean;
}

/** A value (or the header) that breaks a rule; `field` names the key when there is one. */
export class UploadMetadataError extends Error {
  override readonly name = "UploadMetadataError";

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The key-value pairs of an upload's metadata, before tus's Base64. */
export function encodeUploadMetadata(metadata: UploadMetadata): Record<string, string> {
  return {
    fileUUID: metadata.fileUUID,
    version: String(metadata.version),
    sha256: metadata.sha256.toLowerCase(),
    cloudFileName: metadata.cloudFileName,
    mimeType: metadata.mimeType,
    fencingToken: String(metadata.fencingToken),
    ...(metadata.appMetaData != null ? { appMetaData: metadata.appMetaData } : {}),
    ...(metadata.undelete ? { undelete: "true" } : {}),
  };
}

// The header's shape, as tus defines it (and @tus/utils' Metadata.parse
// checks it): comma-separated pairs of an ASCII key without space or comma
// and an optional Base64 value, each key once.
const metadataKey = /^[\x00-\x1f\x21-\x2b\x2d-\x7f]+$/;
const base64Value = /^[\d+/A-Za-z]*={0,2}$/;

type Pair = [key: string, value: string | undefined];

/** A pair of the header (a key, then an optional value after one space), or null if it is malformed. */
function wellFormedPair(text: string): Pair | null {
  const tokens = text.split(" ");
  if (tokens.length > 2) return null;
  const [key = "", value] = tokens; // split gives at least one token; an empty key fails the pattern
  if (!metadataKey.test(key)) return null;
  if (value !== undefined && (value.length % 4 !== 0 || !base64Value.test(value))) return null;
  return [key, value];
}

// Invalid UTF-8 (a stray 0xFF, CESU-8 surrogates, an overlong "/", a cut
// sequence) is refused, not replaced by U+FFFD: different bytes must not
// collapse into one name. A leading BOM is kept, not silently dropped.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function base64Bytes(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The pairs of an Upload-Metadata header, each value decoded as strict UTF-8 (null: a key without a value). */
export function decodeUploadMetadataHeader(header: string | null | undefined): Record<string, string | null> {
  if (!header?.trim()) return {}; // each required key is then named as missing
  const pairs: Pair[] = [];
  for (const text of header.split(",")) {
    const pair = wellFormedPair(text);
    if (pair === null) throw new UploadMetadataError("Upload-Metadata is malformed");
    pairs.push(pair);
  }
  if (new Set(pairs.map(([key]) => key)).size !== pairs.length) {
    throw new UploadMetadataError("Upload-Metadata is malformed");
  }
  const decoded = Object.create(null) as Record<string, string | null>; // a key such as __proto__ stays a key
  for (const [key, value] of pairs) {
    try {
      decoded[key] = value === undefined ? null : strictUtf8.decode(base64Bytes(value));
    } catch {
      throw new UploadMetadataError(`Upload-Metadata ${key} is not valid UTF-8`, key);
    }
  }
  return decoded;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const sha256Pattern = /^[0-9a-f]{64}$/i;
const mimeTypePattern = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;.*)?$/i;
const utf8 = new TextEncoder();

/** A file's UUID, lowercased. */
export function readFileUUID(fileUUID: string): string {
  if (!uuidPattern.test(fileUUID))
    throw new UploadMetadataError(`fileUUID ${JSON.stringify(fileUUID)} is not a UUID`, "fileUUID");
  return fileUUID.toLowerCase();
}

export function readVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new UploadMetadataError(`version ${version} must be a whole number >= 0`, "version");
  }
  return version;
}

function readSha256(sha256: string): string {
  if (!sha256Pattern.test(sha256)) throw new UploadMetadataError("sha256 must be 64 hexadecimal digits", "sha256");
  return sha256.toLowerCase();
}

function readMimeType(mimeType: string): string {
  if (mimeType.length > maxMimeTypeLength || !mimeTypePattern.test(mimeType)) {
    throw new UploadMetadataError(`mimeType ${JSON.stringify(mimeType)} is not a media type`, "mimeType");
  }
  return mimeType;
}

function readAppMetaData(appMetaData: string | null | undefined): string | null {
  if (appMetaData === null || appMetaData === undefined || appMetaData === "") return null;
  if (utf8.encode(appMetaData).length > maxAppMetaDataBytes) {
    throw new UploadMetadataError(`appMetaData is larger than ${maxAppMetaDataBytes} bytes`, "appMetaData");
  }
  try {
    JSON.parse(appMetaData);
  } catch {
    throw new UploadMetadataError("appMetaData is not valid JSON", "appMetaData");
  }
  return appMetaData;
}

function readCloudFileName(name: string): string {
  const checked = checkCloudFileName(name);
  if (!checked.ok)
    throw new UploadMetadataError(`cloudFileName ${JSON.stringify(name)} ${checked.problem}`, "cloudFileName");
  return checked.name;
}

function required(pairs: Record<string, string | null | undefined>, key: keyof UploadMetadata): string {
  const value = pairs[key];
  if (value === undefined || value === null || value === "")
    throw new UploadMetadataError(`Upload-Metadata lacks ${key}`, key);
  return value;
}

function wholeNumber(key: keyof UploadMetadata, text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UploadMetadataError(`${key} must be a whole number`, key);
  return Number(text);
}

/** The metadata of decoded pairs, checked key by key in the table's order; the first broken rule is thrown. */
export function readUploadMetadata(pairs: Record<string, string | null | undefined>): ReadUploadMetadata {
  return {
    fileUUID: readFileUUID(required(pairs, "fileUUID")),
    version: readVersion(wholeNumber("version", required(pairs, "version"))),
    sha256: readSha256(required(pairs, "sha256")),
    cloudFileName: readCloudFileName(required(pairs, "cloudFileName")),
    mimeType: readMimeType(required(pairs, "mimeType")),
    appMetaData: readAppMetaData(pairs.appMetaData),
    fencingToken: wholeNumber("fencingToken", required(pairs, "fencingToken")),
    undelete: pairs.undelete === "true",
  };
}
