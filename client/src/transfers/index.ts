// The byte plane: tus uploads with resume state in the client store, and
// downloads with Range resume and sha256 verification.
export {
  uploadFile,
  defaultChunkSize,
  defaultUploadRetryDelays,
  type UploadFileOptions,
  type UploadMetadata,
  type UploadResult,
} from "./uploader.ts";
export {
  downloadFile,
  discardPartialDownload,
  partialPathOf,
  defaultDownloadRetryDelays,
  type DownloadFileOptions,
  type DownloadResult,
} from "./downloader.ts";
export {
  uploadFingerprint,
  forgetUploadChange,
  forgetUploadsChanges,
  listResumableUploads,
  type TusResumeEntry,
  type UploadIdentity,
} from "./tusResumeStore.ts";
export { LocalSourceError, type UploadContent } from "./uploadSources.ts";
