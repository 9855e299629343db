// The fake token endpoint's state: the authorization codes it issued (one
// use each), the refresh tokens it accepts (until revoked), and the access
// tokens it handed out (with their expiry, for a fake Drive to check).
import { createHash, randomBytes } from "node:crypto";

export interface CodeGrant {
  subject: string;
  email?: string;
  scope: string;
  /** False: Google gives no refresh token (access granted before, without prompt=consent). */
  withRefreshToken: boolean;
  /** The redirect_uri of the consent that issued the code: the exchange must name it again. */
  redirectUri?: string;
  /** PKCE (RFC 7636, S256): the exchange must bring the verifier of this challenge. */
  codeChallenge?: string;
}

export interface IssuedAccessToken {
  subject: string;
  expiresAt: number;
}

export type GrantOutcome =
  | { ok: true; accessToken: string; expiresIn: number; refreshToken?: string; scope: string; code?: CodeGrant }
  | {
      ok: false;
      error: "invalid_grant" | "unsupported_grant_type" | "invalid_request" | "redirect_uri_mismatch";
      description: string;
    };

export const driveFileScope = "https://www.googleapis.com/auth/drive.file";

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(18).toString("base64url")}`;
}

export class TokenGrants {
  readonly codes = new Map<string, CodeGrant>();
  readonly refreshTokens = new Map<string, { subject: string; revoked: boolean }>();
  readonly accessTokens = new Map<string, IssuedAccessToken>();
  accessTokenLifetimeSeconds = 3600;
  /** Answer refresh grants with a new refresh token too (Google may; the old one stays valid here). */
  rotateRefreshTokens = false;

  issueCode(grant: Partial<CodeGrant> & { subject: string }): string {
    const code = randomToken("4/fake-code-");
    this.codes.set(code, { scope: `openid email ${driveFileScope}`, withRefreshToken: true, ...grant });
    return code;
  }

  grantRefreshToken(subject: string): string {
    const token = randomToken("1//fake-refresh-");
    this.refreshTokens.set(token, { subject, revoked: false });
    return token;
  }

  revokeRefreshToken(token: string): void {
    const grant = this.refreshTokens.get(token);
    if (!grant) throw new Error("no such refresh token");
    grant.revoked = true;
  }

  /** The account an access token acts for, or undefined when unknown or expired. */
  subjectOf(accessToken: string): string | undefined {
    const issued = this.accessTokens.get(accessToken);
    return issued && issued.expiresAt > Date.now() ? issued.subject : undefined;
  }

  expireAccessTokens(): void {
    for (const issued of this.accessTokens.values()) issued.expiresAt = 0;
  }

  grant(form: URLSearchParams): GrantOutcome {
    switch (form.get("grant_type")) {
      case "authorization_code": {
        const code = this.codes.get(form.get("code") ?? "");
        if (!code) return { ok: false, error: "invalid_grant", description: "Malformed auth code." };
        // A code is spent by its first exchange, even a refused one, as at Google.
        this.codes.delete(form.get("code")!);
        const refused = refusedExchange(code, form);
        if (refused) return refused;
        const refreshToken = code.withRefreshToken ? this.grantRefreshToken(code.subject) : undefined;
        return { ok: true, ...this.newAccessToken(code.subject), refreshToken, scope: code.scope, code };
      }
      case "refresh_token": {
        const grant = this.refreshTokens.get(form.get("refresh_token") ?? "");
        if (!grant || grant.revoked)
          return { ok: false, error: "invalid_grant", description: "Token has been expired or revoked." };
        const refreshToken = this.rotateRefreshTokens ? this.grantRefreshToken(grant.subject) : undefined;
        return { ok: true, ...this.newAccessToken(grant.subject), refreshToken, scope: driveFileScope };
      }
      default:
        return { ok: false, error: "unsupported_grant_type", description: `grant_type ${form.get("grant_type")}` };
    }
  }

  private newAccessToken(subject: string) {
    const accessToken = randomToken("ya29.fake-");
    this.accessTokens.set(accessToken, { subject, expiresAt: Date.now() + this.accessTokenLifetimeSeconds * 1000 });
    return { accessToken, expiresIn: this.accessTokenLifetimeSeconds };
  }
}

/** What Google refuses in the exchange of a code it issued: another redirect_uri, a missing or wrong PKCE verifier. */
function refusedExchange(code: CodeGrant, form: URLSearchParams): GrantOutcome | undefined {
  if (code.redirectUri !== undefined && form.get("redirect_uri") !== code.redirectUri) {
    return { ok: false, error: "redirect_uri_mismatch", description: "Bad Request" };
  }
  if (code.codeChallenge === undefined) return undefined;
  const verifier = form.get("code_verifier");
  if (!verifier) return { ok: false, error: "invalid_grant", description: "Missing code verifier." };
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return challenge === code.codeChallenge
    ? undefined
    : { ok: false, error: "invalid_grant", description: "Invalid code verifier." };
}
