// Signing a device in with Google, on any platform: whether the server offers
// it (serverInfo.googleSignIn: the OAuth client, Google's consent page, the
// scopes) and the exchange of what Google gave the app (an ID token, an
// authorization code, or both) for a device token. Anonymous requests, not
// through the outbox: there is no device yet whose store could keep them. A
// sign-in repeated after a lost answer gives the same device another token.
import { Client, fetchExchange } from "@urql/core";
import { googleSignInOfferQuery, signInWithGoogleMutation } from "../graphql/operations.ts";
import { queryData } from "../graphql/queryData.ts";

/** How to send a person to Google for this server (null from googleSignInOffer: the server offers none). */
export interface GoogleSignInOffer {
  clientId: string;
  authorizationUrl: string;
  scopes: string[];
}

export interface GoogleSignInRequest {
  /** The device to sign in (created on first use): 1-64 letters, digits or . _ @ - */
  deviceName: string;
  /** From Google's sign-in on the device; optional with an authorization code whose grant includes openid. */
  idToken?: string;
  /** The one-time code of an OAuth code flow (scope drive.file, offline access): the server keeps Drive access. */
  authorizationCode?: string;
  /** The redirect_uri the code came back to, when the app chose it. */
  redirectUri?: string;
  /** The PKCE code_verifier, when the consent request carried its code_challenge. */
  codeVerifier?: string;
}

export interface GoogleSignedIn {
  /** The device token: the SDK's `token` option. */
  token: string;
  userId: string;
  userName: string;
  deviceName: string;
  /** True when this sign-in created the user. */
  newUser: boolean;
  /** Whether the server holds the user's Drive authorization. */
  driveAccess: boolean;
}

function anonymousClient(serverUrl: string, fetchImpl?: typeof fetch): Client {
  return new Client({
    url: `${serverUrl.replace(/\/+$/, "")}/graphql`,
    fetch: fetchImpl,
    exchanges: [fetchExchange],
    requestPolicy: "network-only",
    preferGetMethod: false,
  });
}

/** The server's Google sign-in, or null when it has none. Throws NetworkError when the server cannot be reached. */
export async function googleSignInOffer(
  serverUrl: string,
  fetchImpl?: typeof fetch,
): Promise<GoogleSignInOffer | null> {
  const result = await anonymousClient(serverUrl, fetchImpl).query(googleSignInOfferQuery, {}).toPromise();
  const offer = queryData(result, "serverInfo").serverInfo.googleSignIn;
  return offer
    ? { clientId: offer.clientId, authorizationUrl: offer.authorizationUrl, scopes: [...offer.scopes] }
    : null;
}

/**
 * A device token for what Google gave the app. Throws ServerError with the
 * server's code (GOOGLE_ID_TOKEN_INVALID, GOOGLE_AUTHORIZATION_CODE_INVALID,
 * GOOGLE_UNAVAILABLE, GOOGLE_NOT_CONFIGURED, BAD_INPUT), NetworkError when
 * there was no answer.
 */
export async function signInWithGoogle(
  serverUrl: string,
  request: GoogleSignInRequest,
  fetchImpl?: typeof fetch,
): Promise<GoogleSignedIn> {
  const result = await anonymousClient(serverUrl, fetchImpl).mutation(signInWithGoogleMutation, request).toPromise();
  return queryData(result, "signInWithGoogle").signInWithGoogle;
}
