// Google's OAuth token endpoint (RFC 6749): authorization codes and refresh
// tokens exchanged for access tokens. A plain fetch, so that each failure is
// classified exactly: Google's refusal (a 4xx with an OAuth error such as
// invalid_grant) is final; anything else (5xx, a dropped connection, a
// timeout, a body that is not JSON) may pass on a retry.
import type { GoogleConfig } from "../config/googleConfig.ts";

export interface GoogleTokens {
  accessToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  /** Only from a code exchange, and only when the user granted offline access. */
  refreshToken?: string;
  /** The granted scopes, space-separated. */
  scope?: string;
  /** An OpenID ID token, when the grant included the openid scope. */
  idToken?: string;
}

/** How the app got an authorization code, as the exchange must repeat it. */
export interface CodeFlow {
  redirectUri?: string | null;
  codeVerifier?: string | null;
}

/** Google answered, and refused: invalid_grant (revoked, expired, already used), invalid_client, ... */
export class GoogleTokenRefusedError extends Error {
  override name = "GoogleTokenRefusedError";

  constructor(
    readonly oauthError: string,
    description: string | undefined,
    readonly status: number,
  ) {
    super(`Google's token endpoint refused the grant: ${oauthError}${description ? ` (${description})` : ""}`);
  }
}

/** Google could not be reached, or failed on its side: a retry may pass. */
export class GoogleTokenEndpointUnavailableError extends Error {
  override name = "GoogleTokenEndpointUnavailableError";
}

const requestTimeoutMs = 15_000;

export class GoogleTokenEndpoint {
  constructor(
    private readonly config: Pick<GoogleConfig, "clientId" | "clientSecret" | "tokenUrl" | "redirectUri">,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The code's redirect_uri must be the one its consent went back to: the
   * app's own, or else the configured one (SMSYNC_GOOGLE_REDIRECT_URI). The
   * verifier is the PKCE secret of a code flow that sent a code_challenge.
   */
  exchangeCode(code: string, flow: CodeFlow = {}): Promise<GoogleTokens> {
    const redirectUri = flow.redirectUri ?? this.config.redirectUri;
    return this.post({
      grant_type: "authorization_code",
      code,
      ...(redirectUri !== undefined ? { redirect_uri: redirectUri } : {}),
      ...(flow.codeVerifier ? { code_verifier: flow.codeVerifier } : {}),
    });
  }

  refresh(refreshToken: string): Promise<GoogleTokens> {
    return this.post({ grant_type: "refresh_token", refresh_token: refreshToken });
  }

  private async post(grant: Record<string, string>): Promise<GoogleTokens> {
    const body = new URLSearchParams({
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
      ...grant,
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.config.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new GoogleTokenEndpointUnavailableError(
        `Google's token endpoint could not be reached: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const json = parseJsonObject(text);
    if (response.status >= 400 && response.status < 500 && typeof json?.error === "string") {
      throw new GoogleTokenRefusedError(json.error, stringOrUndefined(json.error_description), response.status);
    }
    if (!response.ok || typeof json?.access_token !== "string") {
      throw new GoogleTokenEndpointUnavailableError(
        `Google's token endpoint answered ${response.status} without an access token`,
      );
    }
    const expiresIn = typeof json.expires_in === "number" ? json.expires_in : Number(json.expires_in ?? 3600);
    return {
      accessToken: json.access_token,
      expiresAt: this.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000,
      refreshToken: stringOrUndefined(json.refresh_token),
      scope: stringOrUndefined(json.scope),
      idToken: stringOrUndefined(json.id_token),
    };
  }
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return null; // not JSON: not an OAuth answer
    throw error;
  }
  return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
