// Signing in with Google: a verified ID token names the Google account (its
// `sub`), which maps to one smsync user through GoogleAccount.subject; the
// first sign-in creates the user. The caller gets a device token for the
// named device, exactly like a local one. With an authorization code (the
// app's OAuth code flow, scope drive.file, offline access), the server also
// gets the user's refresh token for the Drive backend and stores it
// encrypted. A web app that sent the person to Google's consent page brings
// only the code (with its redirect_uri and PKCE verifier): the ID token then
// comes from the code's exchange, and is verified like one the app sent.
// Everything that can be refused is checked before anything is written.
import { decodeJwt } from "jose";
import { createDevice, createUser, isValidName } from "../auth/users.ts";
import { issueDeviceToken } from "../auth/deviceTokens.ts";
import type { Database, Transaction } from "../database/client.ts";
import { SmsyncError } from "../errors/SmsyncError.ts";
import {
  GoogleCertsUnavailableError,
  GoogleIdTokenInvalidError,
  type GoogleIdentity,
  type GoogleIdTokenVerifier,
} from "./GoogleIdTokenVerifier.ts";
import {
  GoogleTokenRefusedError,
  type CodeFlow,
  type GoogleTokenEndpoint,
  type GoogleTokens,
} from "./GoogleTokenEndpoint.ts";
import { driveScopes } from "./googleScopes.ts";
import type { RefreshTokenCipher } from "./RefreshTokenCipher.ts";
import type { StoredGoogleAccessTokens } from "./StoredGoogleAccessTokens.ts";

export interface GoogleSignInRequest extends CodeFlow {
  /** Optional when the authorization code's grant includes the openid scope. */
  idToken?: string | null;
  deviceName: string;
  authorizationCode?: string | null;
}

export interface GoogleSignInResult {
  userId: string;
  userName: string;
  deviceName: string;
  /** The device token, shown once: `Authorization: Bearer <token>`. */
  token: string;
  /** True when this sign-in created the user. */
  newUser: boolean;
  /** Whether the server holds a refresh token Google has not refused, for the Drive backend. */
  driveAccess: boolean;
}

export function googleUserName(subject: string): string {
  return `google-${subject}`;
}

export class GoogleSignIn {
  constructor(
    private readonly db: Database,
    private readonly verifier: GoogleIdTokenVerifier,
    private readonly endpoint: GoogleTokenEndpoint,
    private readonly cipher: RefreshTokenCipher,
    private readonly accessTokens: StoredGoogleAccessTokens,
  ) {}

  async signIn(request: GoogleSignInRequest): Promise<GoogleSignInResult> {
    if (!isValidName(request.deviceName)) {
      throw new SmsyncError("BAD_INPUT", "deviceName must be 1-64 letters, digits or . _ @ -", { field: "deviceName" });
    }
    const { identity, refreshToken } = await this.identify(request);
    const record = () => this.db.$transaction((tx) => this.record(tx, identity, request.deviceName, refreshToken));
    // Two first sign-ins of one account at once: the loser hits the unique subject and finds the winner's user.
    const result = await record().catch((error: unknown) => {
      if (isUniqueViolation(error)) return record();
      throw error;
    });
    if (refreshToken) this.accessTokens.forget(result.userId);
    return result;
  }

  /** Who signs in, from the app's ID token or else the code's, and the refresh token the code grants. */
  private async identify(
    request: GoogleSignInRequest,
  ): Promise<{ identity: GoogleIdentity; refreshToken: string | undefined }> {
    const { idToken, authorizationCode } = request;
    if (idToken) {
      const identity = await this.verify(idToken);
      if (!authorizationCode) return { identity, refreshToken: undefined };
      const tokens = await this.exchange(authorizationCode, request);
      // The response came straight from Google over TLS: its ID token needs no signature check, only the match.
      if (tokens.idToken && decodeJwt(tokens.idToken).sub !== identity.subject) {
        throw new SmsyncError(
          "GOOGLE_AUTHORIZATION_CODE_INVALID",
          "the authorization code belongs to another Google account than the ID token",
        );
      }
      return { identity, refreshToken: tokens.refreshToken };
    }
    if (!authorizationCode) {
      throw new SmsyncError("BAD_INPUT", "give idToken, or authorizationCode from a code flow with the openid scope", {
        field: "idToken",
      });
    }
    const tokens = await this.exchange(authorizationCode, request);
    if (!tokens.idToken) {
      throw new SmsyncError(
        "GOOGLE_AUTHORIZATION_CODE_INVALID",
        "the authorization code's grant has no ID token: ask for the openid scope, or send idToken",
      );
    }
    return { identity: await this.verify(tokens.idToken), refreshToken: tokens.refreshToken };
  }

  private async verify(idToken: string): Promise<GoogleIdentity> {
    try {
      return await this.verifier.verify(idToken);
    } catch (error) {
      if (error instanceof GoogleIdTokenInvalidError) {
        throw new SmsyncError("GOOGLE_ID_TOKEN_INVALID", `Google ID token rejected: ${error.message}`, {
          reason: error.reason,
        });
      }
      if (error instanceof GoogleCertsUnavailableError) throw new SmsyncError("GOOGLE_UNAVAILABLE", error.message);
      throw error;
    }
  }

  /** The code's tokens, once they grant Drive access (no refresh token: access granted before, without prompt=consent). */
  private async exchange(code: string, flow: CodeFlow): Promise<GoogleTokens> {
    let tokens;
    try {
      tokens = await this.endpoint.exchangeCode(code, flow);
    } catch (error) {
      if (error instanceof GoogleTokenRefusedError) {
        throw new SmsyncError("GOOGLE_AUTHORIZATION_CODE_INVALID", error.message, { oauthError: error.oauthError });
      }
      throw new SmsyncError("GOOGLE_UNAVAILABLE", (error as Error).message);
    }
    if (tokens.scope !== undefined && !tokens.scope.split(" ").some((scope) => driveScopes.includes(scope))) {
      throw new SmsyncError(
        "GOOGLE_AUTHORIZATION_CODE_INVALID",
        `the authorization code does not grant Drive access (${driveScopes[0]}); granted: ${tokens.scope}`,
      );
    }
    return tokens;
  }

  private async record(
    tx: Transaction,
    identity: GoogleIdentity,
    deviceName: string,
    refreshToken: string | undefined,
  ): Promise<GoogleSignInResult> {
    const existing = await tx.googleAccount.findUnique({
      where: { subject: identity.subject },
      include: { user: true },
    });
    const newUser = !existing;
    const userName = existing?.user.name ?? googleUserName(identity.subject);
    const userId = existing?.userId ?? (await createUser(tx, userName));
    const credentials = refreshToken
      ? { encryptedRefreshToken: this.cipher.encrypt(refreshToken, userId), refreshTokenRevokedAt: null }
      : {};
    const account = existing
      ? await tx.googleAccount.update({
          where: { userId },
          data: { email: identity.email ?? existing.email, ...credentials },
        })
      : await tx.googleAccount.create({
          data: { userId, subject: identity.subject, email: identity.email, ...credentials },
        });
    // Signing in again on a known device gives it a new token; its earlier ones stay valid (a lost answer costs nothing).
    const device = await tx.device.findUnique({ where: { userId_name: { userId, name: deviceName } } });
    const token = device ? await issueDeviceToken(tx, device.id) : (await createDevice(tx, userId, deviceName)).token;
    return {
      userId,
      userName,
      deviceName,
      token,
      newUser,
      driveAccess: Boolean(account.encryptedRefreshToken && !account.refreshTokenRevokedAt),
    };
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "P2002";
}
