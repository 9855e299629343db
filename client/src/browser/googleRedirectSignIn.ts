// Google sign-in for a web app, by redirect (OAuth 2.0 code flow with PKCE,
// no script from Google): startGoogleSignIn sends the person to Google's
// consent page with the server's client; Google sends them back to the app's
// page with a code; finishGoogleSignIn, on that page's load, checks the state
// and has the server exchange the code for a device token. What the return
// needs (state, PKCE verifier, server, device) waits in sessionStorage, which
// is per tab and survives the round trip.
import { SmsyncClientError } from "../errors.ts";
import { googleSignInOffer, signInWithGoogle, type GoogleSignedIn } from "../signIn/googleSignIn.ts";

export type GoogleSignInErrorCode =
  "GOOGLE_SIGN_IN_NOT_OFFERED" | "GOOGLE_CONSENT_REFUSED" | "GOOGLE_SIGN_IN_STATE_MISMATCH";

/** The redirect sign-in could not go on: the server offers none, the person refused, or the return was not ours. */
export class GoogleSignInError extends SmsyncClientError {
  override name = "GoogleSignInError";

  constructor(
    override readonly code: GoogleSignInErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export interface StartGoogleSignInOptions {
  /** The smsync server (http(s)://host:port). */
  serverUrl: string;
  /** The device to sign in (created on first use): 1-64 letters, digits or . _ @ - */
  deviceName: string;
  /** Where Google sends the person back; one of the OAuth client's authorized redirect URIs. Default: this page, without query or fragment. */
  redirectUri?: string;
  /** Default: window.sessionStorage. */
  storage?: Storage;
  /** Default: location.assign. */
  navigate?: (url: string) => void;
}

export interface FinishGoogleSignInOptions {
  /** The address Google sent the person back to. Default: location.href, cleaned from the address bar afterwards. */
  url?: string;
  storage?: Storage;
}

export type GoogleRedirectSignedIn = GoogleSignedIn & { serverUrl: string };

interface PendingSignIn {
  serverUrl: string;
  deviceName: string;
  redirectUri: string;
  state: string;
  codeVerifier: string;
}

const pendingKey = "smsync.googleSignIn";
/** What Google adds to the redirect_uri on the way back. */
const returnParameters = ["code", "state", "scope", "error", "error_description", "authuser", "hd", "prompt", "iss"];

/** Sends the person to Google's consent page. Throws GoogleSignInError (GOOGLE_SIGN_IN_NOT_OFFERED), NetworkError. */
export async function startGoogleSignIn(options: StartGoogleSignInOptions): Promise<void> {
  const offer = await googleSignInOffer(options.serverUrl);
  if (!offer) {
    throw new GoogleSignInError("GOOGLE_SIGN_IN_NOT_OFFERED", `${options.serverUrl} does not offer Google sign-in`);
  }
  const pending: PendingSignIn = {
    serverUrl: options.serverUrl.replace(/\/+$/, ""),
    deviceName: options.deviceName,
    redirectUri: options.redirectUri ?? location.origin + location.pathname,
    state: randomToken(),
    codeVerifier: randomToken(),
  };
  (options.storage ?? sessionStorage).setItem(pendingKey, JSON.stringify(pending));
  const consent = new URL(offer.authorizationUrl);
  for (const [name, value] of Object.entries({
    client_id: offer.clientId,
    redirect_uri: pending.redirectUri,
    response_type: "code",
    scope: offer.scopes.join(" "),
    // A refresh token for the server's Drive backend, granted again on each consent.
    access_type: "offline",
    prompt: "consent",
    state: pending.state,
    code_challenge: await pkceChallenge(pending.codeVerifier),
    code_challenge_method: "S256",
  }))
    consent.searchParams.set(name, value);
  (options.navigate ?? ((url: string) => location.assign(url)))(consent.toString());
}

/**
 * On the page Google sent the person back to: the device signed in, or null
 * when this load is not a return from startGoogleSignIn. Throws
 * GoogleSignInError (GOOGLE_CONSENT_REFUSED, GOOGLE_SIGN_IN_STATE_MISMATCH),
 * ServerError with the server's code, NetworkError.
 */
export async function finishGoogleSignIn(
  options: FinishGoogleSignInOptions = {},
): Promise<GoogleRedirectSignedIn | null> {
  const storage = options.storage ?? sessionStorage;
  const url = new URL(options.url ?? location.href);
  const saved = storage.getItem(pendingKey);
  const code = url.searchParams.get("code");
  const error = url.searchParams.get("error");
  if (!saved || (code === null && error === null)) return null;
  // One use: a reload of the return page does not spend the code twice.
  storage.removeItem(pendingKey);
  if (options.url === undefined) history.replaceState(history.state, "", withoutReturnParameters(url));
  const pending = JSON.parse(saved) as PendingSignIn;
  if (url.searchParams.get("state") !== pending.state) {
    throw new GoogleSignInError(
      "GOOGLE_SIGN_IN_STATE_MISMATCH",
      "the return from Google does not match the sign-in this tab started; sign in again",
    );
  }
  if (error !== null || code === null) {
    const why = url.searchParams.get("error_description") ?? error;
    throw new GoogleSignInError("GOOGLE_CONSENT_REFUSED", `Google sign-in did not complete: ${why}`);
  }
  const signedIn = await signInWithGoogle(pending.serverUrl, {
    deviceName: pending.deviceName,
    authorizationCode: code,
    redirectUri: pending.redirectUri,
    codeVerifier: pending.codeVerifier,
  });
  return { serverUrl: pending.serverUrl, ...signedIn };
}

function withoutReturnParameters(url: URL): string {
  const clean = new URL(url);
  for (const name of returnParameters) clean.searchParams.delete(name);
  return clean.pathname + clean.search + clean.hash;
}

/** 32 random bytes, base64url: a state, or a PKCE verifier (RFC 7636: 43-128 characters). */
function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function pkceChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
