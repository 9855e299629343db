// One fake Drive, a test database and the token double for a test file of the
// Google Drive backend: storages over the fake, users with a GoogleAccount
// row (where the backend records each user's app folder), and the delays the
// backend waited (its sleep is recorded instead of slept).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { randomUUID } from "node:crypto";
import type { CloudObjectMetadata, UploadSessionRecord } from "../../src/cloud/CloudStorage.ts";
import { addUser } from "../../src/auth/users.ts";
import { PrismaDriveFolderRecords } from "../../src/cloud/googleDrive/appFolders.ts";
import { GoogleDriveStorage, type GoogleDriveStorageOptions } from "../../src/cloud/googleDrive/GoogleDriveStorage.ts";
import { openDatabase, type Database } from "../../src/database/client.ts";
import { migrate } from "../../src/database/migrate.ts";
import { addGoogleAccount, FakeGoogleAccessTokens, FakeGoogleDrive } from "@smsync/testkit/fakeGoogleDrive";
import { createTestDatabase, sha256Hex } from "@smsync/testkit";

export const quantum = 256 * 1024;

export interface GoogleDriveFixture {
  drive: FakeGoogleDrive;
  db: Database;
  tokens: FakeGoogleAccessTokens;
  /** Every delay the storages' retries waited, in ms. */
  sleeps: number[];
  storage(options?: Partial<GoogleDriveStorageOptions>): GoogleDriveStorage;
  /** A user with a GoogleAccount row. */
  newUser(): Promise<string>;
  close(): Promise<void>;
}

let users = 0;

/** A file of a new fileUUID to write, its content served in 64 KiB pieces as a file stream would. */
export function driveTestFile(
  userId: string,
  content: Buffer,
  metadata: Partial<CloudObjectMetadata> = {},
): { metadata: CloudObjectMetadata; content: () => Readable } {
  const fileUUID = randomUUID();
  return {
    metadata: {
      userId,
      fileUUID,
      version: 0,
      cloudFileName: `${fileUUID}.bin`,
      mimeType: "application/octet-stream",
      sha256: sha256Hex(content),
      size: content.length,
      ...metadata,
    },
    content: () =>
      Readable.from(
        (function* () {
          for (let at = 0; at < content.length; at += 65536) yield content.subarray(at, at + 65536);
        })(),
      ),
  };
}

/** A session record as the transfer's file row keeps it, and what was saved in it. */
export function memoryRecord(): { saved: (string | null)[]; record: UploadSessionRecord } {
  const saved: (string | null)[] = [];
  return {
    saved,
    record: {
      load: () => Promise.resolve(saved.at(-1) ?? null),
      save: (session) => {
        saved.push(session);
        return Promise.resolve();
      },
    },
  };
}

export async function startGoogleDriveFixture(): Promise<GoogleDriveFixture> {
  const drive = await FakeGoogleDrive.start();
  const dir = mkdtempSync(path.join(tmpdir(), "smsync-drive-"));
  const database = await createTestDatabase(dir);
  await migrate(database.url);
  const db = openDatabase(database.url);
  const tokens = new FakeGoogleAccessTokens(drive);
  const sleeps: number[] = [];
  return {
    drive,
    db,
    tokens,
    sleeps,
    storage: (options = {}) =>
      new GoogleDriveStorage({
        tokens,
        folderRecords: new PrismaDriveFolderRecords(db),
        rootUrl: drive.rootUrl,
        // Scaled down as the chunks are: files up to 256 KiB go up in one request, larger ones resumable.
        chunkSize: quantum,
        oneRequestMaxBytes: quantum,
        ...options,
        retry: {
          sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
          },
          ...options.retry,
        },
      }),
    async newUser() {
      const { userId } = await addUser(db, `drive-user-${++users}-${process.pid}`);
      await addGoogleAccount(db, userId);
      return userId;
    },
    async close() {
      await drive.close();
      await db.$disconnect();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
