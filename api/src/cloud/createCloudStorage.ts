// The cloud backend the configuration chooses (SMSYNC_CLOUD_BACKEND): the
// local directory, or the users' Google Drives, acting with their Google
// credentials (api/src/google) and recording each user's app folder in the
// database.
import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/config.ts";
import type { Database } from "../database/client.ts";
import type { GoogleAccessTokens } from "../google/GoogleAccessTokens.ts";
import type { CloudStorage } from "./CloudStorage.ts";
import { LocalDirectoryStorage } from "./LocalDirectoryStorage.ts";

/** Async: the Google Drive backend (googleapis) is loaded only when it is chosen. */
export async function createCloudStorage(
  config: Config,
  db: Database,
  googleAccessTokens: GoogleAccessTokens | undefined,
): Promise<CloudStorage> {
  switch (config.cloudBackend) {
    case "local":
      return new LocalDirectoryStorage(config.localCloudDir);
    case "google-drive": {
      // loadConfig refuses google-drive without Google configured; this is for configurations built otherwise.
      if (!googleAccessTokens)
        throw new ConfigError("SMSYNC_CLOUD_BACKEND=google-drive needs Google configured (SMSYNC_GOOGLE_CLIENT_ID)");
      const [{ GoogleDriveStorage }, { PrismaDriveFolderRecords }] = await Promise.all([
        import("./googleDrive/GoogleDriveStorage.ts"),
        import("./googleDrive/appFolders.ts"),
      ]);
      return new GoogleDriveStorage({
        tokens: googleAccessTokens,
        folderRecords: new PrismaDriveFolderRecords(db),
        rootUrl: config.googleDrive.apiRootUrl,
        folderName: config.googleDrive.folderName,
      });
    }
  }
}
