// The Google side of the server, built once from the configuration: signing
// in with Google, and the users' access tokens for the Drive backend.
import type { GoogleConfig } from "../config/googleConfig.ts";
import type { Database } from "../database/client.ts";
import type { Logger } from "../logging/logger.ts";
import type { Clock } from "../time/clock.ts";
import { GoogleIdTokenVerifier } from "./GoogleIdTokenVerifier.ts";
import { GoogleSignIn } from "./GoogleSignIn.ts";
import { GoogleTokenEndpoint } from "./GoogleTokenEndpoint.ts";
import { RefreshTokenCipher } from "./RefreshTokenCipher.ts";
import { StoredGoogleAccessTokens } from "./StoredGoogleAccessTokens.ts";

export interface GoogleCredentials {
  signIn: GoogleSignIn;
  accessTokens: StoredGoogleAccessTokens;
}

export function createGoogleCredentials(
  config: GoogleConfig,
  db: Database,
  clock: Clock,
  logger: Logger,
): GoogleCredentials {
  // An access token's expiry is ours to track, on the server's clock. (An ID
  // token's is Google's, checked against the system time: GoogleIdTokenVerifier.)
  const now = () => clock.now().getTime();
  const endpoint = new GoogleTokenEndpoint(config, now);
  const cipher = new RefreshTokenCipher(config.tokenKey, config.previousTokenKeys);
  const accessTokens = new StoredGoogleAccessTokens(db, endpoint, cipher, { now, logger });
  return {
    accessTokens,
    signIn: new GoogleSignIn(db, new GoogleIdTokenVerifier(config), endpoint, cipher, accessTokens),
  };
}
