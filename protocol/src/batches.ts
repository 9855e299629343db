// The batch paths for small files (docs/protocol.md, "Small files in
// batches"): many files in one request up, many in one response down, each
// framed as framedStream.ts says. A file of a batch upload carries the same
// metadata as a tus upload, checked by the same rules (uploadMetadata.ts),
// and its size; the fencing token is the batch's.
import { literalBytesOf, readFileDelta, type FileDelta } from "./fileDeltas.ts";
import {
  readFileUUID,
  readUploadMetadata,
  readVersion,
  UploadMetadataError,
  type ReadUploadMetadata,
  type UploadMetadata,
} from "./uploadMetadata.ts";

export const uploadBatchesPath = "/upload-batches";
export const heldUploadsPath = "/upload-batches/held";
export const downloadBatchesPath = "/download-batches";
export const uploadBatchMediaType = "application/vnd.smsync.upload-batch";
export const downloadBatchMediaType = "application/vnd.smsync.download-batch";

/** The defaults of the limits the server states in serverInfo.limits. */
export const defaultBatchLimits = {
  /** Files above this go up over tus. */
  batchMaxFileBytes: 1024 * 1024,
  batchMaxFiles: 1000,
  batchMaxBytes: 64 * 1024 * 1024,
};
/** The longest head of a batch: 1,000 files each with 64 KiB of appMetaData fit. */
export const maxBatchHeadBytes = 80 * 1024 * 1024;

/**
 * A file of a batch upload: its metadata and size, and, for a file sent as a
 * change of its live version, the delta whose literal bytes the request
 * carries instead of the whole file (fileDeltas.ts).
 */
export type BatchUploadFile = Omit<UploadMetadata, "fencingToken"> & { size: number; delta?: FileDelta };
export type ReadBatchUploadFile = Omit<ReadUploadMetadata, "fencingToken"> & { size: number; delta?: FileDelta };

/** The bytes of a file that travel in the request: its literal bytes when it is a delta, else all of it. */
export function sentBytesOf(file: { size: number; delta?: FileDelta }): number {
  return file.delta ? literalBytesOf(file.delta) : file.size;
}

export interface BatchUploadHead {
  fencingToken: number;
  files: BatchUploadFile[];
}

export interface ReadBatchUploadHead {
  fencingToken: number;
  files: ReadBatchUploadFile[];
}

/** The head of a batch upload as it is sent. */
export function batchUploadHead(fencingToken: number, files: BatchUploadFile[]): BatchUploadHead {
  return {
    fencingToken,
    files: files.map((file) => ({
      fileUUID: file.fileUUID,
      version: file.version,
      sha256: file.sha256.toLowerCase(),
      size: file.size,
      cloudFileName: file.cloudFileName,
      mimeType: file.mimeType,
      ...(file.appMetaData != null ? { appMetaData: file.appMetaData } : {}),
      ...(file.undelete ? { undelete: true } : {}),
      ...(file.delta ? { delta: file.delta } : {}),
    })),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(entry: Record<string, unknown>, key: string): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
  throw new UploadMetadataError(`${key} has the wrong type`, key);
}

/** A batch upload's head, checked file by file by the tus metadata rules; the first broken rule is thrown. */
export function readBatchUploadHead(head: unknown): ReadBatchUploadHead {
  if (!isRecord(head) || !Array.isArray(head.files)) {
    throw new UploadMetadataError("the head must be an object with fencingToken and files");
  }
  const { fencingToken } = head;
  if (typeof fencingToken !== "number" || !Number.isSafeInteger(fencingToken) || fencingToken < 0) {
    throw new UploadMetadataError("fencingToken must be a whole number", "fencingToken");
  }
  const seen = new Set<string>();
  const files = head.files.map((entry: unknown, position): ReadBatchUploadFile => {
    if (!isRecord(entry)) throw new UploadMetadataError(`files[${position}] is not an object`);
    const { size, undelete } = entry;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw new UploadMetadataError(`files[${position}].size must be a whole number of bytes`, "size");
    }
    if (undelete !== undefined && typeof undelete !== "boolean") {
      throw new UploadMetadataError(`files[${position}].undelete must be true or false`, "undelete");
    }
    const pairs: Record<string, string | undefined> = { fencingToken: String(fencingToken) };
    for (const key of ["fileUUID", "version", "sha256", "cloudFileName", "mimeType", "appMetaData"]) {
      pairs[key] = text(entry, key);
    }
    pairs.undelete = undelete ? "true" : undefined;
    const { fencingToken: _batchToken, ...metadata } = readUploadMetadata(pairs);
    if (seen.has(metadata.fileUUID)) {
      throw new UploadMetadataError(`file ${metadata.fileUUID} is in the batch twice`, "fileUUID");
    }
    seen.add(metadata.fileUUID);
    if (entry.delta === undefined) return { ...metadata, size };
    return {
      ...metadata,
      size,
      delta: readFileDelta(entry.delta, { version: metadata.version, size }, `files[${position}]`),
    };
  });
  return { fencingToken, files };
}

/** A file of a batch download's head: its bytes follow in this order. */
export interface BatchDownloadFile {
  fileUUID: string;
  version: number;
  size: number;
  sha256: string;
}

export interface BatchDownloadHead {
  files: BatchDownloadFile[];
}

/** The request of a batch download: the staged files wanted, in the order their bytes are to come. */
export interface BatchDownloadRequest {
  files: { fileUUID: string; version: number }[];
}

/** A batch download's request, checked: UUIDs lowercased, each file once. */
export function readBatchDownloadRequest(request: unknown): BatchDownloadRequest {
  if (!isRecord(request) || !Array.isArray(request.files)) {
    throw new UploadMetadataError("the request must be an object with files");
  }
  const seen = new Set<string>();
  const files = request.files.map((entry: unknown, position) => {
    if (!isRecord(entry) || typeof entry.fileUUID !== "string" || typeof entry.version !== "number") {
      throw new UploadMetadataError(`files[${position}] must have a fileUUID and a version`);
    }
    const file = { fileUUID: readFileUUID(entry.fileUUID), version: readVersion(entry.version) };
    if (seen.has(file.fileUUID))
      throw new UploadMetadataError(`file ${file.fileUUID} is in the batch twice`, "fileUUID");
    seen.add(file.fileUUID);
    return file;
  });
  return { files };
}
