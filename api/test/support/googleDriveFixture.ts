// One fake Drive, a test database and the token double for a test file of the
// Google Drive backend: storages over the fake, users with a GoogleAccount
// row (where the backend records each user's app folder), and the delays the
// backend waited (its sleep is recorded instead of slept).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { addUser } from "../../src/auth/users.ts";
import { PrismaDriveFolderRecords } from "../../src/cloud/googleDrive/appFolders.ts";
import { GoogleDriveStorage, type GoogleDriveStorageOptions } from "../../src/cloud/googleDrive/GoogleDriveStorage.ts";
import { openDatabase, type Database } from "../../src/database/client.ts";
import { migrate } from "../../src/database/migrate.ts";
import { addGoogleAccount, FakeGoogleAccessTokens, FakeGoogleDrive } from "@smsync/testkit/fakeGoogleDrive";
import { createTestDatabase } from "@smsync/testkit";

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
        chunkSize: quantum,
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
