// A fake of Google's OAuth endpoints on 127.0.0.1, for tests: the consent
// page at /auth (a person signed in as `consentingAccount` who agrees at
// once, or refuses), the token endpoint (authorization_code and
// refresh_token grants, client credentials, redirect_uri and PKCE checked) at
// /token and the ID-token signing keys (JWKS) at /certs. Knobs:
// revoke a refresh token (-> invalid_grant), fail the next requests with a
// status (500), shorten access tokens' lifetime; every token request is
// recorded. environment() gives the server variables that point at it.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { text } from "node:stream/consumers";
import { jwksOf, mintIdToken, newSigningKey, type IdTokenClaims, type SigningKey } from "./signingKeys.ts";
import { TokenGrants } from "./tokenGrants.ts";

/** The Google account at the consent page, and whether the person agrees. */
export interface ConsentingAccount {
  subject: string;
  email?: string;
  /** "deny": the person clicks Cancel (Google redirects back with error=access_denied). */
  answer?: "allow" | "deny";
}

export interface RecordedTokenRequest {
  grantType: string | null;
  status: number;
}

export class FakeGoogleOAuthServer {
  readonly clientId = `${randomBytes(6).toString("hex")}.apps.googleusercontent.com`;
  readonly clientSecret = `GOCSPX-${randomBytes(12).toString("base64url")}`;
  /** The key the server under test encrypts refresh tokens with (SMSYNC_GOOGLE_TOKEN_KEY). */
  readonly tokenKey = randomBytes(32).toString("hex");
  readonly grants = new TokenGrants();
  readonly requests: RecordedTokenRequest[] = [];
  /** The query of each visit to the consent page. */
  readonly consents: URLSearchParams[] = [];
  /** Who is at the consent page; none: the page says so and redirects nowhere. */
  consentingAccount: ConsentingAccount | null = null;
  /** A key Google never published: tokens it signs must be refused. */
  readonly strangerKey: SigningKey;
  private failures: number[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly signingKey: SigningKey,
  ) {
    this.strangerKey = newSigningKey(signingKey.kid);
  }

  static async start(): Promise<FakeGoogleOAuthServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new FakeGoogleOAuthServer(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      newSigningKey("fake-google-1"),
    );
    server.on("request", (request, response) => {
      fake.handle(request, response).catch((error) => {
        response.writeHead(500).end(String(error));
      });
    });
    return fake;
  }

  /** Google's authorization (consent) endpoint, https://accounts.google.com/o/oauth2/v2/auth. */
  get authorizationUrl(): string {
    return `${this.url}/auth`;
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  get certsUrl(): string {
    return `${this.url}/certs`;
  }

  /** The server variables for Google sign-in and credentials against this fake. */
  environment(): Record<string, string> {
    return {
      SMSYNC_GOOGLE_CLIENT_ID: this.clientId,
      SMSYNC_GOOGLE_CLIENT_SECRET: this.clientSecret,
      SMSYNC_GOOGLE_CERTS_URL: this.certsUrl,
      SMSYNC_GOOGLE_TOKEN_URL: this.tokenUrl,
      SMSYNC_GOOGLE_AUTHORIZATION_URL: this.authorizationUrl,
      SMSYNC_GOOGLE_TOKEN_KEY: this.tokenKey,
    };
  }

  /** An ID token for this client, valid unless the claims say otherwise. */
  idToken(claims: Partial<IdTokenClaims> & { subject: string }): Promise<string> {
    return mintIdToken(this.signingKey, { audience: this.clientId, ...claims });
  }

  /** The next `count` token requests answer `status` (default 500) without effect. */
  failNextTokenRequests(count = 1, status = 500): void {
    this.failures.push(...Array<number>(count).fill(status));
  }

  /** Token requests of a grant type, failed ones included. */
  requestCount(grantType: "refresh_token" | "authorization_code"): number {
    return this.requests.filter((request) => request.grantType === grantType).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const path = url.pathname;
    if (request.method === "GET" && path === "/auth") return this.consent(url.searchParams, response);
    if (request.method === "GET" && path === "/certs") return sendJson(response, 200, await jwksOf([this.signingKey]));
    if (request.method === "POST" && path === "/token")
      return this.token(new URLSearchParams(await text(request)), response);
    sendJson(response, 404, { error: "not_found" });
  }

  /** Google's consent page, decided at once: back to redirect_uri with a code, or with error=access_denied. */
  private consent(query: URLSearchParams, response: ServerResponse): void {
    this.consents.push(query);
    const account = this.consentingAccount;
    const redirectUri = query.get("redirect_uri");
    if (query.get("client_id") !== this.clientId || !redirectUri || !URL.canParse(redirectUri) || !account) {
      // Google shows an error page and sends the person nowhere.
      response.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      response.end(
        account ? "Error 400: invalid_request (client_id or redirect_uri)" : "No Google account at the fake.",
      );
      return;
    }
    const back = new URL(redirectUri);
    const state = query.get("state");
    if (state !== null) back.searchParams.set("state", state);
    if (account.answer === "deny" || query.get("response_type") !== "code") {
      back.searchParams.set("error", account.answer === "deny" ? "access_denied" : "unsupported_response_type");
    } else {
      const scope = query.get("scope") ?? "";
      const challenge = query.get("code_challenge");
      if (challenge !== null && query.get("code_challenge_method") !== "S256") {
        back.searchParams.set("error", "invalid_request");
      } else {
        const code = this.grants.issueCode({
          subject: account.subject,
          email: account.email,
          scope,
          withRefreshToken: query.get("access_type") === "offline",
          redirectUri,
          codeChallenge: challenge ?? undefined,
        });
        back.searchParams.set("code", code);
        back.searchParams.set("scope", scope);
      }
    }
    response.writeHead(302, { location: back.toString() }).end();
  }

  private async token(form: URLSearchParams, response: ServerResponse): Promise<void> {
    const record = (status: number) => this.requests.push({ grantType: form.get("grant_type"), status });
    const failure = this.failures.shift();
    if (failure !== undefined) {
      record(failure);
      return sendJson(response, failure, { error: "internal_failure", error_description: "injected by the test" });
    }
    if (form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret) {
      record(401);
      return sendJson(response, 401, { error: "invalid_client", error_description: "The OAuth client was not found." });
    }
    const outcome = this.grants.grant(form);
    if (!outcome.ok) {
      record(400);
      return sendJson(response, 400, { error: outcome.error, error_description: outcome.description });
    }
    record(200);
    const idToken = outcome.code?.scope.split(" ").includes("openid")
      ? await this.idToken({ subject: outcome.code.subject, email: outcome.code.email })
      : undefined;
    sendJson(response, 200, {
      access_token: outcome.accessToken,
      expires_in: outcome.expiresIn,
      token_type: "Bearer",
      scope: outcome.scope,
      ...(outcome.refreshToken ? { refresh_token: outcome.refreshToken } : {}),
      ...(idToken ? { id_token: idToken } : {}),
    });
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}
