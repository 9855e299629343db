// One Drive request made with the user's access token: on a 401 the token is
// refreshed once (GoogleAccessTokens.refreshAfterUnauthorized) and the
// request made again; a second 401 means the credentials are no good, which
// the user must fix by signing in again ("authorization"). A refresh that
// Google refuses throws "authorization" from the token side already.
import type { GoogleAccessTokens } from "../../google/GoogleAccessTokens.ts";
import { CloudStorageError } from "../CloudStorageError.ts";
import { DriveRequestError, toDriveFailure } from "./driveFailures.ts";

function isUnauthorized(error: unknown): boolean {
  return error instanceof DriveRequestError && error.unauthorized;
}

export async function withAccessToken<T>(
  tokens: GoogleAccessTokens,
  userId: string,
  what: string,
  call: (accessToken: string) => Promise<T>,
): Promise<T> {
  const token = await tokens.accessToken(userId);
  try {
    return await call(token);
  } catch (error) {
    const failure = await toDriveFailure(what, error);
    if (!isUnauthorized(failure)) throw failure;
    const fresh = await tokens.refreshAfterUnauthorized(userId, token);
    try {
      return await call(fresh);
    } catch (second) {
      const again = await toDriveFailure(what, second);
      if (!isUnauthorized(again)) throw again;
      throw new CloudStorageError("authorization", `${what}: Drive refused a freshly refreshed access token`, {
        cause: again,
      });
    }
  }
}
