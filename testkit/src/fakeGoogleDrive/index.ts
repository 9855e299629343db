// The fake Google Drive (files and resumable uploads over HTTP, with faults on
// request) and the fake Google access tokens that point the server at it.
export * from "./FakeGoogleDrive.ts";
export * from "./faults.ts";
export type { FakeDriveFile, UploadSession } from "./DriveStore.ts";
export { folderMimeType } from "./DriveStore.ts";
export * from "./fakeGoogleAccessTokens.ts";
