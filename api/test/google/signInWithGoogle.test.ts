// Signing in with a Google ID token against the fake Google: the user is
// created once and mapped by sub after that, the device token works, every
// bad token is refused with the check it failed and writes nothing, and an
// authorization code leaves an encrypted refresh token behind. A web app's
// sign-in goes through the fake's consent page and brings only the code.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTokenKey } from "../../src/config/googleConfig.ts";
import { RefreshTokenCipher } from "../../src/google/RefreshTokenCipher.ts";
import { FakeGoogleOAuthServer, newSigningKey } from "@smsync/testkit/fakeGoogleOAuth";
import { matchers, rowCounts, type Schema, startTestServer, TestGraphQLClient, type TestServer } from "@smsync/testkit";

const signIn = `mutation($idToken: String!, $deviceName: String!, $code: String) {
  signInWithGoogle(idToken: $idToken, deviceName: $deviceName, authorizationCode: $code) { token userId userName deviceName newUser driveAccess }
}`;
interface SignedIn {
  signInWithGoogle: Pick<
    Schema.GoogleSignIn,
    "token" | "userId" | "userName" | "deviceName" | "newUser" | "driveAccess"
  >;
}

const signInWithCode = `mutation($code: String!, $redirectUri: String, $codeVerifier: String, $deviceName: String!) {
  signInWithGoogle(authorizationCode: $code, redirectUri: $redirectUri, codeVerifier: $codeVerifier, deviceName: $deviceName) { token userId userName deviceName newUser driveAccess }
}`;
const googleSignInInfo = `{ serverInfo { googleSignIn { clientId authorizationUrl scopes } } }`;
interface ServerGoogleSignIn {
  serverInfo: { googleSignIn: Schema.GoogleSignInInfo | null };
}

let fake: FakeGoogleOAuthServer;
let server: TestServer;
let anonymous: TestGraphQLClient;

beforeAll(async () => {
  fake = await FakeGoogleOAuthServer.start();
  server = await startTestServer(fake.environment());
  anonymous = new TestGraphQLClient(server.url, null);
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
});

describe("signInWithGoogle", () => {
  it("creates the user on the first sign-in and maps later ones to the same user", async () => {
    const db = server.app.services.db;
    const idToken = await fake.idToken({ subject: "110000000000000000001", email: "ada@example.com" });
    const first = (await anonymous.ok<SignedIn>(signIn, { idToken, deviceName: "phone" })).signInWithGoogle;
    expect(first).toMatchObject({
      newUser: true,
      deviceName: "phone",
      userName: "google-110000000000000000001",
      driveAccess: false,
    });

    const device = new TestGraphQLClient(server.url, first.token);
    expect(await device.fileIndex()).toMatchObject({ files: [] });
    expect((await device.lock()).fencingToken).toBeGreaterThan(0);

    const again = (
      await anonymous.ok<SignedIn>(signIn, {
        idToken: await fake.idToken({ subject: "110000000000000000001" }),
        deviceName: "laptop",
      })
    ).signInWithGoogle;
    expect(again).toMatchObject({ newUser: false, userId: first.userId, deviceName: "laptop" });
    expect(again.token).not.toBe(first.token);
    expect(await db.user.count({ where: { id: first.userId } })).toBe(1);
    expect(await db.googleAccount.findMany({ where: { subject: "110000000000000000001" } })).toEqual([
      expect.objectContaining({ userId: first.userId, email: "ada@example.com", encryptedRefreshToken: null }),
    ]);
    expect(
      await db.device.findMany({ where: { userId: first.userId }, orderBy: { name: "asc" }, select: { name: true } }),
    ).toEqual([{ name: "laptop" }, { name: "phone" }]);
    // Both devices act as the same user: the lock is held by the phone.
    const before = await rowCounts(db);
    expect(
      await new TestGraphQLClient(server.url, again.token).errorCode(
        `mutation { lock(idempotencyKey: "other") { fencingToken } }`,
      ),
    ).toBe("LOCK_HELD");
    expect(await rowCounts(db)).toEqual(before);
  });

  it("maps two first sign-ins of one account at once to one user", async () => {
    const db = server.app.services.db;
    const tokens = await Promise.all(
      ["a", "b", "c"].map(async (device) => ({
        device,
        idToken: await fake.idToken({ subject: "110000000000000000003" }),
      })),
    );
    const results = await Promise.all(
      tokens.map(({ device, idToken }) => anonymous.ok<SignedIn>(signIn, { idToken, deviceName: device })),
    );
    const userIds = new Set(results.map((result) => result.signInWithGoogle.userId));
    expect(userIds.size).toBe(1);
    expect(results.filter((result) => result.signInWithGoogle.newUser)).toHaveLength(1);
    expect(await db.user.count({ where: { name: "google-110000000000000000003" } })).toBe(1);
    expect(await db.device.count({ where: { userId: [...userIds][0] } })).toBe(3);
  });

  it("signing in again on a known device gives it a new token and keeps the earlier one", async () => {
    const idToken = await fake.idToken({ subject: "110000000000000000002" });
    const first = (await anonymous.ok<SignedIn>(signIn, { idToken, deviceName: "tablet" })).signInWithGoogle;
    const second = (await anonymous.ok<SignedIn>(signIn, { idToken, deviceName: "tablet" })).signInWithGoogle;
    expect(second.userId).toBe(first.userId);
    expect(await server.app.services.db.device.count({ where: { userId: first.userId } })).toBe(1);
    for (const token of [first.token, second.token])
      expect(await new TestGraphQLClient(server.url, token).fileIndex()).toBeDefined();
  });

  const rejected: Array<[string, () => Promise<string>, string]> = [
    [
      "another audience",
      () => fake.idToken({ subject: "2001", audience: "someone-else.apps.googleusercontent.com" }),
      "audience",
    ],
    ["another issuer", () => fake.idToken({ subject: "2002", issuer: "https://evil.example.com" }), "issuer"],
    ["an expired token", () => fake.idToken({ subject: "2003", expiresInSeconds: -120 }), "expired"],
    [
      "a key Google never published, under Google's kid",
      () => fake.idToken({ subject: "2004", signedBy: fake.strangerKey }),
      "signature",
    ],
    [
      "a key with an unknown kid",
      () => fake.idToken({ subject: "2005", signedBy: newSigningKey("unknown-kid") }),
      "signature",
    ],
    ["a token that is not a JWT", () => Promise.resolve("not.a.jwt"), "malformed"],
  ];
  for (const [what, token, reason] of rejected) {
    it(`refuses ${what} (${reason}) and writes nothing`, async () => {
      const before = await rowCounts(server.app.services.db);
      const result = await anonymous.request<SignedIn>(signIn, { idToken: await token(), deviceName: "phone" });
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: "GOOGLE_ID_TOKEN_INVALID", reason });
      expect(result.errors?.[0]?.message).toMatch(/^Google ID token rejected: /);
      expect(await rowCounts(server.app.services.db)).toEqual(before);
    });
  }

  it("accepts the issuer without https://, and a token a little past its expiry (clock skew)", async () => {
    const idToken = await fake.idToken({ subject: "3001", issuer: "accounts.google.com", expiresInSeconds: -20 });
    expect((await anonymous.ok<SignedIn>(signIn, { idToken, deviceName: "phone" })).signInWithGoogle.newUser).toBe(
      true,
    );
  });

  it("refuses a malformed device name before anything else", async () => {
    const before = await rowCounts(server.app.services.db);
    const idToken = await fake.idToken({ subject: "3002" });
    expect(await anonymous.errorCode(signIn, { idToken, deviceName: "my phone!" })).toBe("BAD_INPUT");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("stores the refresh token of an authorization code encrypted, and it decrypts back", async () => {
    const db = server.app.services.db;
    const subject = "4001";
    const code = fake.grants.issueCode({ subject, email: "grace@example.com" });
    const result = (
      await anonymous.ok<SignedIn>(signIn, { idToken: await fake.idToken({ subject }), deviceName: "phone", code })
    ).signInWithGoogle;
    expect(result.driveAccess).toBe(true);
    const [refreshToken] = [...fake.grants.refreshTokens].find(([, grant]) => grant.subject === subject)!;
    const account = await db.googleAccount.findUniqueOrThrow({ where: { subject } });
    expect(account.encryptedRefreshToken).toMatch(/^v1\./);
    expect(account.encryptedRefreshToken).not.toContain(refreshToken);
    expect(account.encryptedRefreshToken).not.toContain(Buffer.from(refreshToken).toString("base64url"));
    expect(JSON.stringify(await rowCounts(db))).not.toContain(refreshToken);
    const cipher = new RefreshTokenCipher(parseTokenKey(fake.tokenKey)!);
    expect(cipher.decrypt(account.encryptedRefreshToken!, result.userId)).toBe(refreshToken);
    // The stored token works: the server gets access tokens with it.
    expect(fake.grants.subjectOf(await server.app.services.google!.accessTokens.accessToken(result.userId))).toBe(
      subject,
    );
  });

  it("refuses a used authorization code, and a code of another account, writing nothing", async () => {
    const code = fake.grants.issueCode({ subject: "5001" });
    await anonymous.ok<SignedIn>(signIn, {
      idToken: await fake.idToken({ subject: "5001" }),
      deviceName: "phone",
      code,
    });
    const before = await rowCounts(server.app.services.db);
    const reused = await anonymous.request<SignedIn>(signIn, {
      idToken: await fake.idToken({ subject: "5001" }),
      deviceName: "phone",
      code,
    });
    expect(reused.errors?.[0]?.extensions).toMatchObject({
      code: "GOOGLE_AUTHORIZATION_CODE_INVALID",
      oauthError: "invalid_grant",
    });
    const foreign = fake.grants.issueCode({ subject: "5002" });
    const mixed = await anonymous.request<SignedIn>(signIn, {
      idToken: await fake.idToken({ subject: "5003" }),
      deviceName: "phone",
      code: foreign,
    });
    expect(mixed.errors?.[0]).toMatchObject({
      extensions: { code: "GOOGLE_AUTHORIZATION_CODE_INVALID" },
      message: matchers.stringMatching(/another Google account/),
    });
    const noDrive = fake.grants.issueCode({ subject: "5003", scope: "openid email" });
    expect(
      await anonymous.errorCode(signIn, {
        idToken: await fake.idToken({ subject: "5003" }),
        deviceName: "phone",
        code: noDrive,
      }),
    ).toBe("GOOGLE_AUTHORIZATION_CODE_INVALID");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("answers GOOGLE_UNAVAILABLE when the token endpoint fails, writing nothing", async () => {
    const before = await rowCounts(server.app.services.db);
    fake.failNextTokenRequests(1, 503);
    const code = fake.grants.issueCode({ subject: "6001" });
    expect(
      await anonymous.errorCode(signIn, {
        idToken: await fake.idToken({ subject: "6001" }),
        deviceName: "phone",
        code,
      }),
    ).toBe("GOOGLE_UNAVAILABLE");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("a new authorization code clears a revoked refresh token", async () => {
    const db = server.app.services.db;
    const subject = "7001";
    const first = (
      await anonymous.ok<SignedIn>(signIn, {
        idToken: await fake.idToken({ subject }),
        deviceName: "phone",
        code: fake.grants.issueCode({ subject }),
      })
    ).signInWithGoogle;
    await db.$transaction((tx) =>
      tx.googleAccount.update({ where: { subject }, data: { refreshTokenRevokedAt: new Date() } }),
    );
    const noCode = (
      await anonymous.ok<SignedIn>(signIn, { idToken: await fake.idToken({ subject }), deviceName: "phone" })
    ).signInWithGoogle;
    expect(noCode.driveAccess).toBe(false);
    const again = (
      await anonymous.ok<SignedIn>(signIn, {
        idToken: await fake.idToken({ subject }),
        deviceName: "phone",
        code: fake.grants.issueCode({ subject }),
      })
    ).signInWithGoogle;
    expect(again).toMatchObject({ userId: first.userId, driveAccess: true });
    expect((await db.googleAccount.findUniqueOrThrow({ where: { subject } })).refreshTokenRevokedAt).toBeNull();
  });

  it("local tokens keep working next to Google sign-in", async () => {
    const local = await server.newUser();
    expect(await local.fileIndex()).toMatchObject({ files: [] });
  });
});

describe("signInWithGoogle from a web app's consent redirect (an authorization code only)", () => {
  const redirectUri = "http://127.0.0.1:5173/";

  /** What a web app does: PKCE, then the person's visit to the consent page; the redirect's query. */
  async function consent(
    account: { subject: string; email?: string; answer?: "allow" | "deny" },
    scopes?: string[],
  ): Promise<{ back: URL; codeVerifier: string }> {
    const { googleSignIn } = (await anonymous.ok<ServerGoogleSignIn>(googleSignInInfo)).serverInfo;
    const codeVerifier = randomBytes(32).toString("base64url");
    const page = new URL(googleSignIn!.authorizationUrl);
    page.search = new URLSearchParams({
      client_id: googleSignIn!.clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: (scopes ?? googleSignIn!.scopes).join(" "),
      access_type: "offline",
      prompt: "consent",
      state: "s-1",
      code_challenge: createHash("sha256").update(codeVerifier).digest("base64url"),
      code_challenge_method: "S256",
    }).toString();
    fake.consentingAccount = account;
    const response = await fetch(page, { redirect: "manual" });
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get("location")!);
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get("state")).toBe("s-1");
    return { back, codeVerifier };
  }

  it("serverInfo tells the app the client, Google's consent page and the scopes", async () => {
    expect((await anonymous.ok<ServerGoogleSignIn>(googleSignInInfo)).serverInfo.googleSignIn).toEqual({
      clientId: fake.clientId,
      authorizationUrl: fake.authorizationUrl,
      scopes: ["openid", "email", "https://www.googleapis.com/auth/drive.file"],
    });
  });

  it("signs the person in from the code alone: the ID token comes from the exchange, Drive access is stored", async () => {
    const db = server.app.services.db;
    const { back, codeVerifier } = await consent({ subject: "10001", email: "lin@example.com" });
    const code = back.searchParams.get("code")!;
    const result = (
      await anonymous.ok<SignedIn>(signInWithCode, { code, redirectUri, codeVerifier, deviceName: "browser" })
    ).signInWithGoogle;
    expect(result).toMatchObject({
      newUser: true,
      userName: "google-10001",
      deviceName: "browser",
      driveAccess: true,
    });
    expect(await new TestGraphQLClient(server.url, result.token).fileIndex()).toMatchObject({ files: [] });
    expect(await db.googleAccount.findUniqueOrThrow({ where: { subject: "10001" } })).toMatchObject({
      userId: result.userId,
      email: "lin@example.com",
    });
    const exchange = fake.requests.at(-1)!;
    expect(exchange).toEqual({ grantType: "authorization_code", status: 200 });
  });

  it("refuses a wrong PKCE verifier, another redirect_uri, a grant without openid, and no token at all, writing nothing", async () => {
    const db = server.app.services.db;
    const before = await rowCounts(db);
    const refusal = async (variables: Record<string, unknown>) =>
      (await anonymous.request<SignedIn>(signInWithCode, { deviceName: "browser", ...variables })).errors?.[0];

    const wrongVerifier = await consent({ subject: "10002" });
    expect(
      await refusal({
        code: wrongVerifier.back.searchParams.get("code"),
        redirectUri,
        codeVerifier: randomBytes(32).toString("base64url"),
      }),
    ).toMatchObject({ extensions: { code: "GOOGLE_AUTHORIZATION_CODE_INVALID", oauthError: "invalid_grant" } });

    const otherPage = await consent({ subject: "10002" });
    expect(
      await refusal({
        code: otherPage.back.searchParams.get("code"),
        redirectUri: "http://127.0.0.1:5173/elsewhere",
        codeVerifier: otherPage.codeVerifier,
      }),
    ).toMatchObject({ extensions: { code: "GOOGLE_AUTHORIZATION_CODE_INVALID", oauthError: "redirect_uri_mismatch" } });

    const withoutOpenId = await consent({ subject: "10002" }, ["email", "https://www.googleapis.com/auth/drive.file"]);
    expect(
      await refusal({
        code: withoutOpenId.back.searchParams.get("code"),
        redirectUri,
        codeVerifier: withoutOpenId.codeVerifier,
      }),
    ).toMatchObject({
      extensions: { code: "GOOGLE_AUTHORIZATION_CODE_INVALID" },
      message: matchers.stringMatching(/no ID token/),
    });

    const neither = await anonymous.request<SignedIn>(`mutation { signInWithGoogle(deviceName: "browser") { token } }`);
    expect(neither.errors?.[0]?.extensions).toMatchObject({ code: "BAD_INPUT", field: "idToken" });
    expect(await rowCounts(db)).toEqual(before);
  });

  it("a person who refuses consent comes back with error=access_denied and no code", async () => {
    const { back } = await consent({ subject: "10003", answer: "deny" });
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.has("code")).toBe(false);
  });
});

describe("signInWithGoogle when Google's keys cannot be fetched", () => {
  it("answers GOOGLE_UNAVAILABLE and writes nothing", async () => {
    const unreachable = await startTestServer({
      ...fake.environment(),
      SMSYNC_GOOGLE_CERTS_URL: "http://127.0.0.1:1/certs",
    });
    try {
      const before = await rowCounts(unreachable.app.services.db);
      const idToken = await fake.idToken({ subject: "9001" });
      expect(
        await new TestGraphQLClient(unreachable.url, null).errorCode(signIn, { idToken, deviceName: "phone" }),
      ).toBe("GOOGLE_UNAVAILABLE");
      expect(await rowCounts(unreachable.app.services.db)).toEqual(before);
    } finally {
      await unreachable.close();
    }
  });
});

describe("signInWithGoogle without Google configured", () => {
  it("answers GOOGLE_NOT_CONFIGURED, and serverInfo offers no Google sign-in", async () => {
    const plain = await startTestServer();
    try {
      const idToken = await fake.idToken({ subject: "8001" });
      const before = await rowCounts(plain.app.services.db);
      const client = new TestGraphQLClient(plain.url, null);
      expect(await client.errorCode(signIn, { idToken, deviceName: "phone" })).toBe("GOOGLE_NOT_CONFIGURED");
      expect((await client.ok<ServerGoogleSignIn>(googleSignInInfo)).serverInfo.googleSignIn).toBeNull();
      expect(await rowCounts(plain.app.services.db)).toEqual(before);
    } finally {
      await plain.close();
    }
  });
});
