// Google sign-in for the app, on the SDK's redirect flow: the button sends
// the person to Google's consent page; Google sends them back here, where the
// return becomes this tab's session (the server's URL and the device token
// the server gave for the code).
import { finishGoogleSignIn, startGoogleSignIn } from "@smsync/client/browser";
import type { Session } from "./session.ts";

/** A device name the server takes (1-64 letters, digits or . _ @ -) from what the person typed. */
export function deviceNameOf(label: string): string {
  const name = label
    .trim()
    .replace(/[^A-Za-z0-9._@-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return name || "browser";
}

export function signInWithGoogle(serverUrl: string, deviceLabel: string): Promise<void> {
  // The page leaves for Google; it comes back to this same address.
  return startGoogleSignIn({ serverUrl, deviceName: deviceNameOf(deviceLabel) });
}

/** This load's return from Google as a session, or null when it is not one. Throws why the sign-in failed. */
export async function sessionFromGoogleReturn(): Promise<Session | null> {
  const signedIn = await finishGoogleSignIn();
  if (!signedIn) return null;
  return { serverUrl: signedIn.serverUrl, token: signedIn.token, deviceLabel: signedIn.deviceName };
}
