// The Google Drive backend's part of the configuration (docs/google-drive.md):
// where Google's APIs are (tests point it at a fake Drive) and the name of
// the app folder in each user's Drive. The backend acts with the users'
// Google credentials, so choosing it requires Google to be configured
// (SMSYNC_GOOGLE_CLIENT_ID and what googleConfig.ts requires with it).
import { z } from "zod";

export interface GoogleDriveConfig {
  /** Google's API root, with a trailing slash. */
  apiRootUrl: string;
  folderName: string;
}

export const googleDriveEnvironmentShape = {
  SMSYNC_GOOGLE_API_ROOT_URL: z.url().default("https://www.googleapis.com/"),
  // Drive allows any name but "/" makes it look like a path to users.
  SMSYNC_GOOGLE_DRIVE_FOLDER_NAME: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .refine((name) => !name.includes("/"), { message: "must not contain /" })
    .default("smsync"),
};

interface CloudEnvironment {
  SMSYNC_CLOUD_BACKEND: string;
  SMSYNC_GOOGLE_CLIENT_ID?: string;
  SMSYNC_GOOGLE_API_ROOT_URL: string;
  SMSYNC_GOOGLE_DRIVE_FOLDER_NAME: string;
}

export function checkGoogleDriveEnvironment(env: CloudEnvironment, context: z.RefinementCtx): void {
  if (env.SMSYNC_CLOUD_BACKEND === "google-drive" && !env.SMSYNC_GOOGLE_CLIENT_ID) {
    context.addIssue({
      code: "custom",
      path: ["SMSYNC_GOOGLE_CLIENT_ID"],
      message: "is required when SMSYNC_CLOUD_BACKEND is google-drive",
    });
  }
}

export function googleDriveConfigFrom(env: CloudEnvironment): GoogleDriveConfig {
  const root = env.SMSYNC_GOOGLE_API_ROOT_URL;
  return { apiRootUrl: root.endsWith("/") ? root : `${root}/`, folderName: env.SMSYNC_GOOGLE_DRIVE_FOLDER_NAME };
}
