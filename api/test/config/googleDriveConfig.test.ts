// SMSYNC_CLOUD_BACKEND=google-drive: needs Google configured; the API root
// and the app folder name have defaults and can be set. And the server
// builds the Drive backend from it.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCloudStorage } from "../../src/cloud/createCloudStorage.ts";
import { ConfigError, loadConfig } from "../../src/config/config.ts";
import { openDatabase } from "../../src/database/client.ts";
import type { GoogleAccessTokens } from "../../src/google/GoogleAccessTokens.ts";
import { configErrorOf } from "../support/configErrorOf.ts";

const google = {
  SMSYNC_GOOGLE_CLIENT_ID: "id.apps.googleusercontent.com",
  SMSYNC_GOOGLE_CLIENT_SECRET: "secret",
  SMSYNC_GOOGLE_TOKEN_KEY: randomBytes(32).toString("hex"),
};

describe("Google Drive backend configuration", () => {
  it("keeps the local backend by default", () => {
    expect(loadConfig({}).cloudBackend).toBe("local");
  });

  it("requires Google to be configured for google-drive", () => {
    expect(configErrorOf({ SMSYNC_CLOUD_BACKEND: "google-drive" })).toContain(
      "SMSYNC_GOOGLE_CLIENT_ID: is required when SMSYNC_CLOUD_BACKEND is google-drive",
    );
    expect(configErrorOf({ SMSYNC_CLOUD_BACKEND: "dropbox" })).toContain("SMSYNC_CLOUD_BACKEND");
  });

  it("takes Google's API root and the folder name smsync by default, or the ones set", () => {
    expect(loadConfig({ ...google, SMSYNC_CLOUD_BACKEND: "google-drive" })).toMatchObject({
      cloudBackend: "google-drive",
      googleDrive: { apiRootUrl: "https://www.googleapis.com/", folderName: "smsync" },
    });
    const set = loadConfig({
      ...google,
      SMSYNC_CLOUD_BACKEND: "google-drive",
      SMSYNC_GOOGLE_API_ROOT_URL: "http://127.0.0.1:9",
      SMSYNC_GOOGLE_DRIVE_FOLDER_NAME: "My App",
    });
    expect(set.googleDrive).toEqual({ apiRootUrl: "http://127.0.0.1:9/", folderName: "My App" });
    expect(configErrorOf({ SMSYNC_GOOGLE_DRIVE_FOLDER_NAME: "a/b" })).toContain(
      "SMSYNC_GOOGLE_DRIVE_FOLDER_NAME: must not contain /",
    );
    expect(configErrorOf({ SMSYNC_GOOGLE_API_ROOT_URL: "not a url" })).toContain("SMSYNC_GOOGLE_API_ROOT_URL");
  });

  it("builds the Google Drive backend when chosen, and refuses it without Google credentials", async () => {
    const config = loadConfig({ ...google, SMSYNC_CLOUD_BACKEND: "google-drive" });
    const db = openDatabase("file::memory:");
    const tokens: GoogleAccessTokens = {
      accessToken: () => Promise.resolve("t"),
      refreshAfterUnauthorized: () => Promise.resolve("u"),
    };
    expect((await createCloudStorage(config, db, tokens)).name).toBe("google-drive");
    await expect(createCloudStorage(config, db, undefined)).rejects.toThrow(ConfigError);
    expect((await createCloudStorage(loadConfig({}), db, undefined)).name).toBe("local");
  });
});
