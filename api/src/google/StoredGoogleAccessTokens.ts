// GoogleAccessTokens over the refresh tokens stored (encrypted) in each
// user's GoogleAccount row. Access tokens live in memory only, per user, and
// are refreshed a minute before they expire. One refresh at a time per user:
// callers that arrive while it runs share its result. Every instance keeps
// its own cache; a token refreshed elsewhere costs one more refresh here.
import { CloudStorageError } from "../cloud/CloudStorageError.ts";
import type { Database } from "../database/client.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import type { GoogleAccessTokens } from "./GoogleAccessTokens.ts";
import { GoogleTokenRefusedError, type GoogleTokenEndpoint } from "./GoogleTokenEndpoint.ts";
import { RefreshTokenDecryptionError, type RefreshTokenCipher } from "./RefreshTokenCipher.ts";

interface CachedAccessToken {
  accessToken: string;
  expiresAt: number;
}

export interface StoredGoogleAccessTokensOptions {
  /** Refresh this long before the access token expires (default 60 s). */
  refreshAheadMs?: number;
  now?: () => number;
  /** Where a failure to store a rotated refresh token is reported (default: warnings and worse, to stdout). */
  logger?: Logger;
}

export class StoredGoogleAccessTokens implements GoogleAccessTokens {
  private readonly cache = new Map<string, CachedAccessToken>();
  private readonly refreshing = new Map<string, Promise<CachedAccessToken>>();
  private readonly refreshAheadMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(
    private readonly db: Database,
    private readonly endpoint: GoogleTokenEndpoint,
    private readonly cipher: RefreshTokenCipher,
    options: StoredGoogleAccessTokensOptions = {},
  ) {
    this.refreshAheadMs = options.refreshAheadMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? createLogger("warn");
  }

  async accessToken(userId: string): Promise<string> {
    const cached = this.cache.get(userId);
    if (cached && this.isFresh(cached)) return cached.accessToken;
    return (await this.refresh(userId)).accessToken;
  }

  async refreshAfterUnauthorized(userId: string, refused: string): Promise<string> {
    // Another caller may already have replaced the refused token.
    const cached = this.cache.get(userId);
    if (cached && cached.accessToken !== refused && this.isFresh(cached)) return cached.accessToken;
    if (cached?.accessToken === refused) this.cache.delete(userId);
    const refreshed = await this.refresh(userId);
    if (refreshed.accessToken !== refused) return refreshed.accessToken;
    // A refresh that began before the 401 handed out the refused token: one more.
    this.cache.delete(userId);
    return (await this.refresh(userId)).accessToken;
  }

  /** Drops a user's cached access token (their refresh token was replaced). */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  private isFresh(token: CachedAccessToken): boolean {
    return token.expiresAt - this.refreshAheadMs > this.now();
  }

  private refresh(userId: string): Promise<CachedAccessToken> {
    let running = this.refreshing.get(userId);
    if (!running) {
      running = this.refreshFromStore(userId).finally(() => this.refreshing.delete(userId));
      this.refreshing.set(userId, running);
    }
    return running;
  }

  private async refreshFromStore(userId: string): Promise<CachedAccessToken> {
    const account = await this.db.googleAccount.findUnique({ where: { userId } });
    if (!account?.encryptedRefreshToken) {
      throw new CloudStorageError(
        "authorization",
        `user ${userId} has not granted Google Drive access: sign in with Google`,
      );
    }
    if (account.refreshTokenRevokedAt) {
      throw new CloudStorageError(
        "authorization",
        `Google refused user ${userId}'s refresh token on ${account.refreshTokenRevokedAt.toISOString()}: sign in with Google again`,
      );
    }
    let refreshToken: string;
    try {
      refreshToken = this.cipher.decrypt(account.encryptedRefreshToken, userId);
    } catch (error) {
      if (!(error instanceof RefreshTokenDecryptionError)) throw error;
      // A key missing from the configuration is the operator's to fix, not the user's.
      throw new CloudStorageError("permanent", `user ${userId}'s refresh token: ${error.message}`, { cause: error });
    }
    try {
      const tokens = await this.endpoint.refresh(refreshToken);
      const fresh = { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
      this.cache.set(userId, fresh);
      if (tokens.refreshToken || this.cipher.needsReencryption(account.encryptedRefreshToken)) {
        await this.replaceStoredToken(userId, account.encryptedRefreshToken, tokens.refreshToken ?? refreshToken);
      }
      return fresh;
    } catch (error) {
      if (error instanceof GoogleTokenRefusedError && error.oauthError === "invalid_grant") {
        await this.markRevoked(userId, account.encryptedRefreshToken);
        throw new CloudStorageError(
          "authorization",
          `Google refused user ${userId}'s refresh token (consent revoked or expired): sign in with Google again`,
          { cause: error },
        );
      }
      if (error instanceof GoogleTokenRefusedError) {
        // invalid_client and the like: the server's OAuth client is misconfigured.
        throw new CloudStorageError("permanent", error.message, { cause: error });
      }
      throw new CloudStorageError("transient", (error as Error).message, { cause: error });
    }
  }

  /**
   * Stores a refresh token Google rotated, or one still encrypted with a
   * previous key under the current key, unless a sign-in replaced it
   * meanwhile. Best effort: the token in hand works either way, and the
   * next refresh tries again; a failure (the database's) is logged.
   */
  private async replaceStoredToken(userId: string, stored: string, refreshToken: string): Promise<void> {
    await this.db
      .$transaction((tx) =>
        tx.googleAccount.updateMany({
          where: { userId, encryptedRefreshToken: stored },
          data: { encryptedRefreshToken: this.cipher.encrypt(refreshToken, userId) },
        }),
      )
      .catch((error: unknown) =>
        this.logger.error({ err: error, userId }, "storing the user's rotated or re-encrypted refresh token failed"),
      );
  }

  /** Marks the refused token revoked, unless a new sign-in has replaced it meanwhile. */
  private async markRevoked(userId: string, refusedToken: string): Promise<void> {
    this.cache.delete(userId);
    await this.db.$transaction((tx) =>
      tx.googleAccount.updateMany({
        where: { userId, encryptedRefreshToken: refusedToken, refreshTokenRevokedAt: null },
        data: { refreshTokenRevokedAt: new Date() },
      }),
    );
  }
}
