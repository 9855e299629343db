// How a cloud object is kept in Drive: one file in the user's app folder,
// named by its cloudFileName (what the user sees in Drive), with
// appProperties (private to this app, searchable) holding its key and
// checksum. Finding the object a write already made goes through them.
import type { CloudObject, CloudObjectKey, CloudObjectMetadata } from "../CloudStorage.ts";
import type { DriveFile } from "./DriveApi.ts";

export const folderMimeType = "application/vnd.google-apps.folder";
/** On the app folder: the smsync user it belongs to (to find it again if its recorded id was lost). */
export const appFolderProperty = "smsyncAppFolder";

export function objectProperties(metadata: CloudObjectMetadata): Record<string, string> {
  return { fileUUID: metadata.fileUUID, version: String(metadata.version), sha256: metadata.sha256, userId: metadata.userId };
}

/** A value inside a `q` string literal. */
export function quoteQ(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export function hasProperty(key: string, value: string): string {
  return `appProperties has { key=${quoteQ(key)} and value=${quoteQ(value)} }`;
}

export function objectsInFolderQuery(folderId: string): string {
  return `${quoteQ(folderId)} in parents and trashed = false and mimeType != ${quoteQ(folderMimeType)}`;
}

export function objectsOfKeyQuery(folderId: string, key: CloudObjectKey): string {
  return `${objectsInFolderQuery(folderId)} and ${hasProperty("fileUUID", key.fileUUID)} and ${hasProperty("version", String(key.version))}`;
}

export function appFolderQuery(userId: string): string {
  return `mimeType = ${quoteQ(folderMimeType)} and trashed = false and ${hasProperty(appFolderProperty, userId)}`;
}

/** The cloud object a Drive file holds, or null for a file that is not one of ours. */
export function cloudObjectOf(file: DriveFile): CloudObject | null {
  const properties = file.appProperties ?? {};
  const { fileUUID, version, sha256, userId } = properties;
  if (!file.id || !fileUUID || version === undefined || !sha256 || !userId || !/^\d+$/.test(version)) return null;
  return {
    objectId: file.id,
    userId,
    fileUUID,
    version: Number(version),
    sha256,
    cloudFileName: file.name ?? "",
    mimeType: file.mimeType ?? "application/octet-stream",
    size: Number(file.size ?? 0),
  };
}
