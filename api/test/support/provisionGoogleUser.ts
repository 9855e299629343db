// For end-to-end tests of the Drive backend: a user as if they had signed in
// with Google and granted Drive access, i.e. with a GoogleAccount holding a
// refresh token (encrypted with the fake's key, as the server stores it)
// that the fake token endpoint accepts.
import { randomBytes } from "node:crypto";
import { addUser } from "../../src/auth/users.ts";
import { parseTokenKey } from "../../src/config/googleConfig.ts";
import type { Database } from "../../src/database/client.ts";
import { RefreshTokenCipher } from "../../src/google/RefreshTokenCipher.ts";
import { FakeGoogleOAuthServer } from "@smsync/testkit/fakeGoogleOAuth";

export interface ProvisionedGoogleUser {
  userId: string;
  userName: string;
  subject: string;
  /** A device token of the user. */
  token: string;
  /** In clear, to revoke it at the fake (fake.grants.revokeRefreshToken). */
  refreshToken: string;
}

export async function provisionGoogleUser(
  db: Database,
  fake: FakeGoogleOAuthServer,
  subject = `1${randomBytes(8).readBigUInt64BE().toString().padStart(20, "0")}`,
): Promise<ProvisionedGoogleUser> {
  const userName = `google-${subject}`;
  const { userId, token } = await addUser(db, userName);
  const refreshToken = fake.grants.grantRefreshToken(subject);
  const encryptedRefreshToken = new RefreshTokenCipher(parseTokenKey(fake.tokenKey)!).encrypt(refreshToken, userId);
  await db.$transaction((tx) =>
    tx.googleAccount.create({ data: { userId, subject, email: `${subject}@example.com`, encryptedRefreshToken } }),
  );
  return { userId, userName, subject, token, refreshToken };
}

/** Starts a fake Google OAuth server; pass fake.environment() to the server under test. */
export function startFakeGoogleOAuth(): Promise<FakeGoogleOAuthServer> {
  return FakeGoogleOAuthServer.start();
}
