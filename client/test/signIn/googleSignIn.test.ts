// Signing a device in with Google through the SDK, against a real server
// whose Google is the fake on loopback: the offer in serverInfo, the redirect
// flow a web app runs (the consent page answered over real HTTP, the return
// URL handed back), and each way it is refused, with nothing signed in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchers, startTestServer, TestGraphQLClient, type TestServer } from "@smsync/testkit";
import { FakeGoogleOAuthServer } from "@smsync/testkit/fakeGoogleOAuth";
import {
  finishGoogleSignIn,
  GoogleSignInError,
  googleSignInOffer,
  ServerError,
  signInWithGoogle,
  startGoogleSignIn,
} from "../../src/browser.ts";

let fake: FakeGoogleOAuthServer;
let server: TestServer;

beforeAll(async () => {
  fake = await FakeGoogleOAuthServer.start();
  server = await startTestServer(fake.environment());
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
});

/** sessionStorage, for Node. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

const appPage = "http://127.0.0.1:5173/notes/";

/** startGoogleSignIn, the person at Google's consent page, and the URL Google sends them back to. */
async function consentRoundTrip(
  storage: Storage,
  account: FakeGoogleOAuthServer["consentingAccount"],
  deviceName = "browser",
): Promise<{ consentPage: URL; returnUrl: string }> {
  let consentPage: URL | undefined;
  await startGoogleSignIn({
    serverUrl: server.url,
    deviceName,
    redirectUri: appPage,
    storage,
    navigate: (url) => (consentPage = new URL(url)),
  });
  fake.consentingAccount = account;
  const response = await fetch(consentPage!, { redirect: "manual" });
  expect(response.status).toBe(302);
  return { consentPage: consentPage!, returnUrl: response.headers.get("location")! };
}

describe("Google sign-in through the SDK", () => {
  it("tells whether the server offers it", async () => {
    expect(await googleSignInOffer(server.url)).toEqual({
      clientId: fake.clientId,
      authorizationUrl: fake.authorizationUrl,
      scopes: ["openid", "email", "https://www.googleapis.com/auth/drive.file"],
    });
    const plain = await startTestServer();
    try {
      expect(await googleSignInOffer(plain.url)).toBeNull();
      await expect(
        startGoogleSignIn({
          serverUrl: plain.url,
          deviceName: "x",
          redirectUri: appPage,
          storage: new MemoryStorage(),
        }),
      ).rejects.toMatchObject({ name: "GoogleSignInError", code: "GOOGLE_SIGN_IN_NOT_OFFERED" });
    } finally {
      await plain.close();
    }
  });

  it("signs a device in by redirect: PKCE and state on the way out, a device token on the way back", async () => {
    const storage = new MemoryStorage();
    const { consentPage, returnUrl } = await consentRoundTrip(storage, { subject: "20001", email: "ada@example.com" });
    expect(Object.fromEntries(consentPage.searchParams)).toMatchObject({
      client_id: fake.clientId,
      redirect_uri: appPage,
      response_type: "code",
      scope: "openid email https://www.googleapis.com/auth/drive.file",
      access_type: "offline",
      code_challenge_method: "S256",
    });
    expect(consentPage.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);

    const signedIn = await finishGoogleSignIn({ url: returnUrl, storage });
    expect(signedIn).toMatchObject({
      serverUrl: server.url,
      userName: "google-20001",
      deviceName: "browser",
      newUser: true,
      driveAccess: true,
    });
    expect(await new TestGraphQLClient(server.url, signedIn!.token).fileIndex()).toMatchObject({ files: [] });
    // The return is spent: loading the page again is not a sign-in.
    expect(await finishGoogleSignIn({ url: returnUrl, storage })).toBeNull();
    expect(await finishGoogleSignIn({ url: appPage, storage: new MemoryStorage() })).toBeNull();
  });

  it("refuses a return whose state is not this tab's, and a refused consent, with named errors", async () => {
    const mine = new MemoryStorage();
    const theirs = new MemoryStorage();
    await consentRoundTrip(mine, { subject: "20002" });
    const { returnUrl: forged } = await consentRoundTrip(theirs, { subject: "20003" });
    await expect(finishGoogleSignIn({ url: forged, storage: mine })).rejects.toMatchObject({
      code: "GOOGLE_SIGN_IN_STATE_MISMATCH",
    });

    const denying = new MemoryStorage();
    const { returnUrl: denied } = await consentRoundTrip(denying, { subject: "20004", answer: "deny" });
    const refusal = await finishGoogleSignIn({ url: denied, storage: denying }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(GoogleSignInError);
    expect(refusal).toMatchObject({
      code: "GOOGLE_CONSENT_REFUSED",
      message: matchers.stringMatching(/access_denied/),
    });
    expect(await server.app.services.db.googleAccount.count({ where: { subject: { in: ["20002", "20004"] } } })).toBe(
      0,
    );
  });

  it("gives the server's refusal as a ServerError with its code", async () => {
    const refusal = await signInWithGoogle(server.url, {
      deviceName: "browser",
      authorizationCode: "4/not-a-code",
    }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ServerError);
    expect(refusal).toMatchObject({ code: "GOOGLE_AUTHORIZATION_CODE_INVALID" });
    const idToken = await fake.idToken({ subject: "20005" });
    expect(await signInWithGoogle(server.url, { deviceName: "phone", idToken })).toMatchObject({
      userName: "google-20005",
      driveAccess: false,
    });
  });
});
