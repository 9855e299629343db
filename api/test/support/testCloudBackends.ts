// The cloud backends the server's transfer tests run against: the local
// directory, and Google Drive over a fake Drive (files up to 256 KiB in one
// request, larger ones in 256 KiB chunks, the backend's own retries with
// millisecond delays). A test file loops over
// them: `for (const backend of testCloudBackends) describe(backend.name, ...)`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CloudStorage } from "../../src/cloud/CloudStorage.ts";
import { GoogleDriveStorage } from "../../src/cloud/googleDrive/GoogleDriveStorage.ts";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import { FakeGoogleAccessTokens, FakeGoogleDrive, MemoryDriveFolderRecords } from "@smsync/testkit/fakeGoogleDrive";

export interface StartedCloud {
  storage: CloudStorage;
  /** The fake Drive behind a google-drive backend. */
  drive?: FakeGoogleDrive;
  close(): Promise<void>;
}

export interface TestCloudBackend {
  name: "local" | "google-drive";
  start(): Promise<StartedCloud>;
}

export const localTestBackend: TestCloudBackend = {
  name: "local",
  start() {
    const root = mkdtempSync(path.join(tmpdir(), "smsync-test-cloud-"));
    return Promise.resolve({
      storage: new LocalDirectoryStorage(root),
      close: () => {
        rmSync(root, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
};

export const googleDriveTestBackend: TestCloudBackend = {
  name: "google-drive",
  async start() {
    const drive = await FakeGoogleDrive.start();
    const storage = new GoogleDriveStorage({
      tokens: new FakeGoogleAccessTokens(drive),
      folderRecords: new MemoryDriveFolderRecords(),
      rootUrl: drive.rootUrl,
      chunkSize: 256 * 1024,
      oneRequestMaxBytes: 256 * 1024,
      retry: { baseDelayMs: 1, maxDelayMs: 10 },
    });
    return { storage, drive, close: () => drive.close() };
  },
};

export const testCloudBackends: TestCloudBackend[] = [localTestBackend, googleDriveTestBackend];
