// A user whose Google consent is revoked: the transfer fails at once (no
// retries) with GOOGLE_SIGN_IN_REQUIRED, which the client reads on the
// operation; after signing in again with a new authorization code, a commit
// under the same grant resumes it. The cloud here is the local directory
// behind a wrapper that, like the Drive backend, asks GoogleAccessTokens
// for the user's token before every call.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { CloudObjectKey, CloudObjectMetadata, CloudStorage } from "../../src/cloud/CloudStorage.ts";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import type { GoogleAccessTokens } from "../../src/google/GoogleAccessTokens.ts";
import { FakeGoogleOAuthServer } from "@smsync/testkit/fakeGoogleOAuth";
import { provisionGoogleUser } from "../support/provisionGoogleUser.ts";
import {
  type Schema,
  startTestServer,
  TestGraphQLClient,
  type TestServer,
  transferEventPayload,
  tusUpload,
} from "@smsync/testkit";

/** The local directory, asking for the user's Google access token first (as the Drive backend does). */
class TokenCheckingStorage implements CloudStorage {
  readonly name = "local";
  tokens!: GoogleAccessTokens;

  constructor(private readonly inner: CloudStorage) {}

  async findObject(key: CloudObjectKey) {
    await this.tokens.accessToken(key.userId);
    return this.inner.findObject(key);
  }
  async writeObject(metadata: CloudObjectMetadata, content: () => Readable) {
    await this.tokens.accessToken(metadata.userId);
    return this.inner.writeObject(metadata, content);
  }
  async readObject(userId: string, objectId: string, range?: { start: number; end?: number }) {
    await this.tokens.accessToken(userId);
    return this.inner.readObject(userId, objectId, range);
  }
  async deleteObject(userId: string, objectId: string) {
    await this.tokens.accessToken(userId);
    return this.inner.deleteObject(userId, objectId);
  }
  async listObjects(userId: string) {
    await this.tokens.accessToken(userId);
    return this.inner.listObjects(userId);
  }
}

let fake: FakeGoogleOAuthServer;
let server: TestServer;
let cloudDir: string;

beforeAll(async () => {
  fake = await FakeGoogleOAuthServer.start();
  // Shorter than the refresh margin: every cloud call asks the token endpoint.
  fake.grants.accessTokenLifetimeSeconds = 30;
  cloudDir = mkdtempSync(path.join(tmpdir(), "smsync-google-cloud-"));
  const cloud = new TokenCheckingStorage(new LocalDirectoryStorage(cloudDir));
  server = await startTestServer(fake.environment(), { cloud });
  cloud.tokens = server.app.services.google!.accessTokens;
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  if (cloudDir) rmSync(cloudDir, { recursive: true, force: true });
});

it("fails a transfer with GOOGLE_SIGN_IN_REQUIRED once consent is revoked, and resumes it after signing in again", async () => {
  const user = await provisionGoogleUser(server.app.services.db, fake);
  const device = new TestGraphQLClient(server.url, user.token);
  const { fencingToken } = await device.lock(60);
  await tusUpload(server.url, user.token, {
    fileUUID: randomUUID(),
    version: 0,
    content: Buffer.from("before"),
    fencingToken,
  });
  expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");

  fake.grants.revokeRefreshToken(user.refreshToken);
  const fileUUID = randomUUID();
  const grant = await device.lock(60);
  await tusUpload(server.url, user.token, {
    fileUUID,
    version: 0,
    content: Buffer.from("after revocation"),
    fencingToken: grant.fencingToken,
  });
  const failed = await device.waitForOperation((await device.commit(grant.fencingToken)).id);
  expect(failed).toMatchObject({ state: "FAILED", errorCode: "GOOGLE_SIGN_IN_REQUIRED", attempts: 1 });
  expect(failed.errorMessage).toMatch(/sign in with Google again/);
  const account = await server.app.services.db.googleAccount.findUniqueOrThrow({ where: { userId: user.userId } });
  expect(account.refreshTokenRevokedAt).toBeInstanceOf(Date);
  const events = await server.app.services.db.event.findMany({
    where: { operationId: failed.id, type: "OPERATION_STATE" },
  });
  expect(events.map((event) => transferEventPayload(event.payload))).toContainEqual(
    expect.objectContaining({ state: "FAILED", errorCode: "GOOGLE_SIGN_IN_REQUIRED" }),
  );

  // The user signs in again on this device and grants access anew.
  const signIn = await new TestGraphQLClient(server.url, null).ok<{
    signInWithGoogle: Pick<Schema.GoogleSignIn, "token" | "userId" | "driveAccess">;
  }>(
    `mutation($idToken: String!, $code: String) { signInWithGoogle(idToken: $idToken, deviceName: "default", authorizationCode: $code) { token userId driveAccess } }`,
    { idToken: await fake.idToken({ subject: user.subject }), code: fake.grants.issueCode({ subject: user.subject }) },
  );
  expect(signIn.signInWithGoogle).toMatchObject({ userId: user.userId, driveAccess: true });
  const resumed = await device.waitForOperation((await device.commit(grant.fencingToken)).id);
  expect(resumed).toMatchObject({ id: failed.id, state: "SUCCEEDED" });
  expect((await device.fileIndex()).files.map((file) => file.fileUUID)).toContain(fileUUID);
});
