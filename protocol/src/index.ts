// @smsync/protocol: the parts of the wire contract that the server (api/)
// and the client SDK (client/) must apply alike, defined once: cloud file
// names, the tus Upload-Metadata of an upload, and the framing of the batch
// paths.
export {
  checkCloudFileName,
  cloudFileNameKey,
  cloudFileNameOwner,
  CloudFileNameIndex,
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
export { errorCodeOfWebSocketClose, webSocketRefusals, type WebSocketRefusal } from "./webSocketCloseCodes.ts";
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
export { encodeFrameHead, FrameError, FramedStreamReader } from "./framedStream.ts";
export {
  batchUploadHead,
  defaultBatchLimits,
  downloadBatchesPath,
  downloadBatchMediaType,
  heldUploadsPath,
  maxBatchHeadBytes,
  readBatchDownloadRequest,
  readBatchUploadHead,
  sentBytesOf,
  uploadBatchesPath,
  uploadBatchMediaType,
  type BatchDownloadFile,
  type BatchDownloadHead,
  type BatchDownloadRequest,
  type BatchUploadFile,
  type BatchUploadHead,
  type ReadBatchUploadFile,
  type ReadBatchUploadHead,
} from "./batches.ts";
export {
  blockSizeFor,
  fileBlocksPath,
  isCopyOp,
  literalBytesOf,
  maxDeltaOps,
  readFileDelta,
  rebuiltSizeOf,
  type CopyOp,
  type DeltaOp,
  type FileBlocks,
  type FileDelta,
  type LiteralOp,
} from "./fileDeltas.ts";
