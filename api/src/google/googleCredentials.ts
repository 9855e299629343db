// The Google side of the server, built once from the configuration: signing
// in with Google, and the users' access tokens for the Drive backend.
import type { GoogleConfig } from "../config/googleConfig.ts";
import type { Database } from "../database/client.ts";
import { GoogleIdTokenVerifier } from "./GoogleIdTokenVerifier.ts";
import { GoogleSignIn } from "./GoogleSignIn.ts";
import { GoogleTokenEndpoint } from "./GoogleTokenEndpoint.ts";
import { RefreshTokenCipher } from "./RefreshTokenCipher.ts";
import { StoredGoogleAccessTokens } from "./StoredGoogleAccessTokens.ts";

export interface GoogleCredentials {
  signIn: GoogleSignIn;
  accessTokens: StoredGoogleAccessTokens;
}

export function createGoogleCredentials(config: GoogleConfig, db: Database): GoogleCredentials {
  const endpoint = new GoogleTokenEndpoint(config);
  const cipher = new RefreshTokenCipher(config.tokenKey, config.previousTokenKeys);
  const accessTokens = new StoredGoogleAccessTokens(db, endpoint, cipher);
  return { accessTokens, signIn: new GoogleSignIn(db, new GoogleIdTokenVerifier(config), endpoint, cipher, accessTokens) };
}
