// The Google Drive backend over the fake Drive: the contract every backend
// passes, with uploads cut into 256 KiB chunks so that even small files take
// several requests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { addUser } from "../../src/auth/users.ts";
import { PrismaDriveFolderRecords } from "../../src/cloud/googleDrive/appFolders.ts";
import { GoogleDriveStorage } from "../../src/cloud/googleDrive/GoogleDriveStorage.ts";
import { openDatabase } from "../../src/database/client.ts";
import { migrate } from "../../src/database/migrate.ts";
import { addGoogleAccount, FakeGoogleAccessTokens } from "../support/fakeGoogleAccessTokens.ts";
import { FakeGoogleDrive } from "../support/fakeGoogleDrive/FakeGoogleDrive.ts";
import { createTestDatabase } from "../support/testDatabase.ts";
import { cloudStorageContract } from "./cloudStorageContract.ts";

const drive = await FakeGoogleDrive.start();
const database = await createTestDatabase(mkdtempSync(path.join(tmpdir(), "smsync-drive-")));
await migrate(database.url);
const db = openDatabase(database.url);
const tokens = new FakeGoogleAccessTokens(drive);
let users = 0;

afterAll(async () => {
  await drive.close();
  await db.$disconnect();
  await database.drop();
});

cloudStorageContract("google drive (fake)", async () => {
  const { userId } = await addUser(db, `drive-user-${++users}`);
  await addGoogleAccount(db, userId);
  const storage = new GoogleDriveStorage({
    tokens,
    folderRecords: new PrismaDriveFolderRecords(db),
    rootUrl: drive.rootUrl,
    chunkSize: 256 * 1024,
    retry: { sleep: async () => undefined },
  });
  return { storage, userId };
});
