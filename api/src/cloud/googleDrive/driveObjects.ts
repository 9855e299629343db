// How a cloud object is kept in Drive: one file under the user's app folder,
// placed and named by its cloudFileName (drivePlacement.ts), with
// appProperties (private to this app, searchable) holding its key and
// checksum. Finding the object a write already made goes through them.
import type { CloudObject, CloudObjectKey, CloudObjectMetadata } from "../CloudStorage.ts";
import type { DriveFile } from "./DriveApi.ts";

export const folderMimeType = "application/vnd.google-apps.folder";
/** On the app folder: the smsync user it belongs to (to find it again if its recorded id was lost). */
export const appFolderProperty = "smsyncAppFolder";
/** On the folders of files' paths: the smsync user they belong to (to find them again after a restart). */
export const subfolderProperty = "smsyncFolderOf";

export function objectProperties(metadata: CloudObjectMetadata): Record<string, string> {
  return {
    fileUUID: metadata.fileUUID,
    version: String(metadata.version),
    sha256: metadata.sha256,
    userId: metadata.userId,
  };
}

/** A value inside a `q` string literal. */
export function quoteQ(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export function hasProperty(key: string, value: string): string {
  return `appProperties has { key=${quoteQ(key)} and value=${quoteQ(value)} }`;
}

/**
 * The user's objects, wherever they are under the app folder (in the
 * folders of their paths, or at its top, as older servers wrote them): by
 * appProperties, not by parent. A folder trashed or deleted takes its files
 * with it (Drive marks them trashed, or deletes them).
 */
export function objectsOfUserQuery(userId: string): string {
  return `trashed = false and mimeType != ${quoteQ(folderMimeType)} and ${hasProperty("userId", userId)}`;
}

export function objectsOfKeyQuery(key: CloudObjectKey): string {
  return `${objectsOfUserQuery(key.userId)} and ${hasProperty("fileUUID", key.fileUUID)} and ${hasProperty("version", String(key.version))}`;
}

/** A folder of a file's path, by its parent and name (and made by smsync for this user). */
export function subfolderQuery(userId: string, parentId: string, name: string): string {
  return `mimeType = ${quoteQ(folderMimeType)} and trashed = false and ${quoteQ(parentId)} in parents and name = ${quoteQ(name)} and ${hasProperty(subfolderProperty, userId)}`;
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
    // The name shown in Drive: the last part of the cloudFileName's path.
    cloudFileName: file.name ?? "",
    mimeType: file.mimeType ?? "application/octet-stream",
    size: Number(file.size ?? 0),
  };
}
