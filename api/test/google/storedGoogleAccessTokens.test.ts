// Access tokens from the stored refresh tokens, against the fake token
// endpoint: cached, refreshed a minute before expiry and once after a 401,
// one refresh for concurrent callers, a revoked refresh token recorded and
// turned into an authorization error, endpoint failures into transient ones.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloudStorageError } from "../../src/cloud/CloudStorageError.ts";
import { parseTokenKey } from "../../src/config/googleConfig.ts";
import { GoogleTokenEndpoint } from "../../src/google/GoogleTokenEndpoint.ts";
import { keyIdOf, RefreshTokenCipher } from "../../src/google/RefreshTokenCipher.ts";
import { StoredGoogleAccessTokens } from "../../src/google/StoredGoogleAccessTokens.ts";
import { FakeGoogleOAuthServer } from "@smsync/testkit/fakeGoogleOAuth";
import { provisionGoogleUser, type ProvisionedGoogleUser } from "../support/provisionGoogleUser.ts";
import { startTestServer, type TestServer } from "@smsync/testkit";

let fake: FakeGoogleOAuthServer;
let server: TestServer;
let clock: number;
let user: ProvisionedGoogleUser;

const fakeKey = () => parseTokenKey(fake.tokenKey)!;

function accessTokens(tokenUrl = fake.tokenUrl, cipher = new RefreshTokenCipher(fakeKey())): StoredGoogleAccessTokens {
  const endpoint = new GoogleTokenEndpoint(
    { clientId: fake.clientId, clientSecret: fake.clientSecret, tokenUrl },
    () => clock,
  );
  return new StoredGoogleAccessTokens(server.app.services.db, endpoint, cipher, { now: () => clock });
}

const storedToken = async (userId: string) =>
  (await server.app.services.db.googleAccount.findUniqueOrThrow({ where: { userId } })).encryptedRefreshToken!;

async function failureOf(promise: Promise<unknown>): Promise<CloudStorageError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CloudStorageError);
  return error as CloudStorageError;
}

beforeAll(async () => {
  fake = await FakeGoogleOAuthServer.start();
  server = await startTestServer(fake.environment());
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
});

beforeEach(async () => {
  clock = Date.now();
  fake.grants.accessTokenLifetimeSeconds = 3600;
  user = await provisionGoogleUser(server.app.services.db, fake);
});

const refreshes = () => fake.requestCount("refresh_token");

describe("StoredGoogleAccessTokens", () => {
  it("gets an access token with the stored refresh token and caches it", async () => {
    const tokens = accessTokens();
    const before = refreshes();
    const first = await tokens.accessToken(user.userId);
    expect(fake.grants.subjectOf(first)).toBe(user.subject);
    expect(await tokens.accessToken(user.userId)).toBe(first);
    expect(refreshes() - before).toBe(1);
  });

  it("refreshes a minute before the access token expires, not earlier", async () => {
    const tokens = accessTokens();
    const before = refreshes();
    const first = await tokens.accessToken(user.userId);
    clock += (3600 - 61) * 1000;
    expect(await tokens.accessToken(user.userId)).toBe(first);
    expect(refreshes() - before).toBe(1);
    clock += 2000;
    const second = await tokens.accessToken(user.userId);
    expect(second).not.toBe(first);
    expect(fake.grants.subjectOf(second)).toBe(user.subject);
    expect(refreshes() - before).toBe(2);
  });

  it("refreshes once after a 401, and a second caller refused the same token gets the new one", async () => {
    const tokens = accessTokens();
    const refused = await tokens.accessToken(user.userId);
    const before = refreshes();
    const [a, b] = await Promise.all([
      tokens.refreshAfterUnauthorized(user.userId, refused),
      tokens.refreshAfterUnauthorized(user.userId, refused),
    ]);
    expect(a).not.toBe(refused);
    expect(b).toBe(a);
    expect(await tokens.refreshAfterUnauthorized(user.userId, refused)).toBe(a);
    expect(await tokens.accessToken(user.userId)).toBe(a);
    expect(refreshes() - before).toBe(1);
  });

  it("makes one refresh for concurrent callers", async () => {
    const tokens = accessTokens();
    const before = refreshes();
    const got = await Promise.all(Array.from({ length: 8 }, () => tokens.accessToken(user.userId)));
    expect(new Set(got).size).toBe(1);
    expect(refreshes() - before).toBe(1);
  });

  it("turns a revoked refresh token into an authorization error and records it", async () => {
    const tokens = accessTokens();
    fake.grants.revokeRefreshToken(user.refreshToken);
    const error = await failureOf(tokens.accessToken(user.userId));
    expect(error.kind).toBe("authorization");
    expect(error.retryable).toBe(false);
    const account = await server.app.services.db.googleAccount.findUniqueOrThrow({ where: { userId: user.userId } });
    expect(account.refreshTokenRevokedAt).toBeInstanceOf(Date);
    // Known revoked: the endpoint is not asked again.
    const before = refreshes();
    expect((await failureOf(accessTokens().accessToken(user.userId))).kind).toBe("authorization");
    expect(refreshes()).toBe(before);
  });

  it("answers authorization for a user without a Google account or without a refresh token", async () => {
    const local = await server.newUser();
    const localId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: local.userName } })).id;
    expect((await failureOf(accessTokens().accessToken(localId))).kind).toBe("authorization");
    await server.app.services.db.$transaction((tx) =>
      tx.googleAccount.update({ where: { userId: user.userId }, data: { encryptedRefreshToken: null } }),
    );
    expect((await failureOf(accessTokens().accessToken(user.userId))).kind).toBe("authorization");
  });

  it("treats a failing or unreachable token endpoint as transient, and recovers", async () => {
    const tokens = accessTokens();
    fake.failNextTokenRequests(1, 500);
    expect((await failureOf(tokens.accessToken(user.userId))).kind).toBe("transient");
    expect(fake.grants.subjectOf(await tokens.accessToken(user.userId))).toBe(user.subject);
    const unreachable = accessTokens("http://127.0.0.1:1/token");
    expect((await failureOf(unreachable.accessToken(user.userId))).kind).toBe("transient");
    const account = await server.app.services.db.googleAccount.findUniqueOrThrow({ where: { userId: user.userId } });
    expect(account.refreshTokenRevokedAt).toBeNull();
  });

  it("re-encrypts a token stored under a previous key with the current one when it uses it", async () => {
    const newKey = randomBytes(32);
    const rotated = new RefreshTokenCipher(newKey, [fakeKey()]);
    expect(fake.grants.subjectOf(await accessTokens(fake.tokenUrl, rotated).accessToken(user.userId))).toBe(
      user.subject,
    );
    const stored = await storedToken(user.userId);
    expect(stored.split(".")[1]).toBe(keyIdOf(newKey));
    expect(new RefreshTokenCipher(newKey).decrypt(stored, user.userId)).toBe(user.refreshToken);
  });

  it("stores a refresh token that Google rotated", async () => {
    fake.grants.rotateRefreshTokens = true;
    try {
      await accessTokens().accessToken(user.userId);
    } finally {
      fake.grants.rotateRefreshTokens = false;
    }
    const current = new RefreshTokenCipher(fakeKey()).decrypt(await storedToken(user.userId), user.userId);
    expect(current).not.toBe(user.refreshToken);
    expect(fake.grants.refreshTokens.get(current)?.subject).toBe(user.subject);
  });

  it("is what the server's Drive backend gets (services.google.accessTokens)", async () => {
    const token = await server.app.services.google!.accessTokens.accessToken(user.userId);
    expect(fake.grants.subjectOf(token)).toBe(user.subject);
  });
});

describe("the server's access tokens", () => {
  it("expire on the server's clock", async () => {
    const tokens = server.app.services.google!.accessTokens;
    const before = refreshes();
    const first = await tokens.accessToken(user.userId);
    expect(await tokens.accessToken(user.userId)).toBe(first);
    server.clock.advance(3600 * 1000);
    const second = await tokens.accessToken(user.userId);
    expect(second).not.toBe(first);
    expect(refreshes() - before).toBe(2);
  });
});
