// The Google Drive backend over the fake Drive: the contract every backend
// passes, with uploads cut into 256 KiB chunks so that larger files take
// several requests.
import { afterAll } from "vitest";
import { startGoogleDriveFixture } from "../support/googleDriveFixture.ts";
import { cloudStorageContract } from "./cloudStorageContract.ts";

const fixture = await startGoogleDriveFixture();
afterAll(() => fixture.close());

cloudStorageContract("google drive (fake)", async () => ({
  storage: fixture.storage(),
  userId: await fixture.newUser(),
}));
