// @smsync/protocol: the parts of the wire contract that the server (api/)
// and the client SDK (client/) must apply alike, defined once: cloud file
// names and the tus Upload-Metadata of an upload.
export {
  checkCloudFileName,
  cloudFileNameKey,
  cloudFileNameOwner,
  maxCloudFileNameBytes,
  type CloudFileNameCheck,
  type NamedFile,
} from "./cloudFileNames.ts";
export { cloudNameToPath, pathToCloudName } from "./cloudFilePaths.ts";
export { errorCodes, isErrorCode, type ErrorCode } from "./errorCodes.ts";
export {
  cloudFailureCodes,
  isTransferWaitCode,
  transferWaitCodes,
  type CloudFailureCode,
  type TransferErrorCode,
  type TransferWaitCode,
} from "./transferErrorCodes.ts";
export { stableJson } from "./stableJson.ts";
export { backoffCeilingMs, backoffDelayMs, type BackoffLimits } from "./backoff.ts";
export {
  decodeUploadMetadataHeader,
  encodeUploadMetadata,
  maxAppMetaDataBytes,
  maxMimeTypeLength,
  readFileUUID,
  readUploadMetadata,
  readVersion,
  UploadMetadataError,
  type ReadUploadMetadata,
  type UploadMetadata,
} from "./uploadMetadata.ts";
