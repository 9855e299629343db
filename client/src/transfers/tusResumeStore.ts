// tus resume state in the client store: one entry per upload fingerprint in
// the "tusUploads" collection, holding the upload URL the server gave, so a
// relaunched process (a new uploader over the same store) resumes the same
// upload with HEAD and PATCH instead of sending the file again.
//
// The fingerprint names what the server would accept as the same upload:
// (fileUUID, version, sha256, fencingToken). Another content, version or
// lock grant is another upload, with its own entry.
import type { ClientStore, StoreChange } from "../store/ClientStore.ts";
import type { PreviousUpload, UrlStorage } from "tus-js-client";
import type { TusResumeEntry } from "./tusResumeEntry.ts";

export type { TusResumeEntry };

export const tusCollection = "tusUploads" as const;

export interface UploadIdentity {
  fileUUID: string;
  version: number;
  sha256: string;
  fencingToken: number;
}

/** The store key of an upload: fileUUID/version/sha256/fencingToken. */
export function uploadFingerprint(identity: UploadIdentity): string {
  return `${identity.fileUUID}/${identity.version}/${identity.sha256.toLowerCase()}/${identity.fencingToken}`;
}

/** The change that forgets an upload's resume state, for the engine to put in the commit that records the upload as done. */
export function forgetUploadChange(identity: UploadIdentity): StoreChange {
  return { op: "delete", collection: tusCollection, key: uploadFingerprint(identity) };
}

/** Every upload with resume state, in key order. */
export async function listResumableUploads(store: ClientStore): Promise<TusResumeEntry[]> {
  return (await store.list(tusCollection)).map((entry) => entry.value);
}

/**
 * The changes that forget resume state for uploads no longer wanted: all of
 * them, or those the predicate picks (e.g. of an older lock grant, or of a
 * fileUUID whose upload was replaced). Commit them with the step that makes
 * them obsolete.
 */
export async function forgetUploadsChanges(
  store: ClientStore,
  predicate: (entry: TusResumeEntry) => boolean = () => true,
): Promise<StoreChange[]> {
  return (await store.list(tusCollection))
    .filter((entry) => predicate(entry.value))
    .map((entry) => ({ op: "delete", collection: tusCollection, key: entry.key }));
}

/**
 * tus-js-client's UrlStorage over the client store, for one upload. Writes
 * that fail are reported to `onStoreError` (tus-js-client does not wait for
 * some of them), and the upload is stopped by the caller.
 */
export class StoreUrlStorage implements UrlStorage {
  constructor(
    private readonly store: ClientStore,
    private readonly identity: UploadIdentity,
    private readonly onStoreError: (error: unknown) => void,
  ) {}

  async findAllUploads(): Promise<PreviousUpload[]> {
    return (await this.store.list(tusCollection)).map((entry) => toPreviousUpload(entry.key, entry.value));
  }

  async findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    const entry = await this.store.get(tusCollection, fingerprint);
    return entry ? [toPreviousUpload(fingerprint, entry)] : [];
  }

  async removeUpload(urlStorageKey: string): Promise<void> {
    try {
      await this.store.commit([{ op: "delete", collection: tusCollection, key: urlStorageKey }]);
    } catch (error) {
      this.onStoreError(error);
    }
  }

  async addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const entry: TusResumeEntry = {
      fingerprint,
      ...this.identity,
      uploadUrl: upload.uploadUrl ?? "",
      size: upload.size,
      metadata: upload.metadata,
      creationTime: upload.creationTime,
    };
    try {
      await this.store.commit([{ op: "put", collection: tusCollection, key: fingerprint, value: entry }]);
    } catch (error) {
      this.onStoreError(error);
    }
    return fingerprint;
  }
}

function toPreviousUpload(key: string, entry: TusResumeEntry): PreviousUpload {
  return {
    size: entry.size,
    metadata: entry.metadata,
    creationTime: entry.creationTime,
    urlStorageKey: key,
    uploadUrl: entry.uploadUrl,
    parallelUploadUrls: null,
  };
}
