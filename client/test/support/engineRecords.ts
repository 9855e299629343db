// Records of the engine's store, for the unit tests of its phases: an index
// entry, a held file, queued changes, a store holding them.
import type { IndexEntry } from "../../src/engine/planDownloads.ts";
import type { LocalFile, PreparedDeletion, PreparedUpload } from "../../src/queues/records.ts";

export const sha = (c: string) => c.repeat(64);

export function indexEntry(fileUUID: string, version: number, overrides: Partial<IndexEntry> = {}): IndexEntry {
  return {
    fileUUID,
    cloudFileName: `${fileUUID}.txt`,
    mimeType: "text/plain",
    appMetaData: null,
    version,
    deleted: false,
    size: 1,
    sha256: sha("a"),
    ...overrides,
  };
}

export function localFile(fileUUID: string, version: number | null, overrides: Partial<LocalFile> = {}): LocalFile {
  return {
    fileUUID,
    version,
    sha256: sha("a"),
    cloudFileName: `${fileUUID}.txt`,
    mimeType: "text/plain",
    appMetaData: null,
    deleted: false,
    ...overrides,
  };
}

export function preparedUpload(fileUUID: string, overrides: Partial<PreparedUpload> = {}): PreparedUpload {
  return {
    kind: "upload",
    fileUUID,
    source: { base64: "" },
    cloudFileName: `${fileUUID}.txt`,
    mimeType: "text/plain",
    appMetaData: null,
    sha256: sha("b"),
    size: 1,
    immutable: false,
    queuedAt: "",
    ...overrides,
  };
}

export function preparedDeletion(fileUUID: string): PreparedDeletion {
  return { kind: "delete", fileUUID, queuedAt: "" };
}
