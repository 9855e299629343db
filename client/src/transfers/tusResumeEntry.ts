// The record of the client store's "tusUploads" collection (tusResumeStore.ts).

/** What the store keeps for an upload in progress. */
export interface TusResumeEntry {
  fingerprint: string;
  fileUUID: string;
  version: number;
  sha256: string;
  fencingToken: number;
  uploadUrl: string;
  size: number | null;
  metadata: Record<string, string>;
  creationTime: string;
}
