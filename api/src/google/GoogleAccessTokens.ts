// The seam between the Google Drive backend (api/src/cloud/googleDrive) and
// the users' Google credentials (api/src/google: the encrypted refresh token
// of each user's GoogleAccount row, exchanged for access tokens at Google's
// token endpoint). The backend asks for a token before each request, and for
// a fresh one once after a 401; everything about refresh tokens, expiry and
// encryption stays on the other side.

export interface GoogleAccessTokens {
  /** A valid access token for the user's Drive (refreshed ahead of its expiry). */
  accessToken(userId: string): Promise<string>;
  /** After a 401: a new access token, never the one that was refused. */
  refreshAfterUnauthorized(userId: string, refused: string): Promise<string>;
}

// A refresh token Google refused (invalid_grant: consent revoked, password
// changed, token expired), or a user without one, is non-recoverable for that
// user: the implementation throws CloudStorageError of kind "authorization"
// (api/src/cloud/CloudStorageError.ts); the transfer fails with the error
// code GOOGLE_SIGN_IN_REQUIRED, which tells the client to sign in again.
// Token endpoint failures that a retry may fix (5xx, dropped connections)
// are CloudStorageError "transient".
