// The Google variables: off by default, on with the client id, which then
// needs the secret and a 32-byte token key; endpoints overridable.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { configErrorOf } from "../support/configErrorOf.ts";

const key = randomBytes(32);

describe("Google configuration", () => {
  it("is off unless SMSYNC_GOOGLE_CLIENT_ID is set", () => {
    expect(loadConfig({}).google).toBeNull();
  });

  it("takes the client, Google's endpoints by default, and the token key as hex or base64", () => {
    const base = { SMSYNC_GOOGLE_CLIENT_ID: "id.apps.googleusercontent.com", SMSYNC_GOOGLE_CLIENT_SECRET: "secret" };
    const fromHex = loadConfig({ ...base, SMSYNC_GOOGLE_TOKEN_KEY: key.toString("hex") }).google!;
    expect(fromHex).toMatchObject({
      clientId: "id.apps.googleusercontent.com",
      certsUrl: "https://www.googleapis.com/oauth2/v3/certs",
      tokenUrl: "https://oauth2.googleapis.com/token",
      authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      previousTokenKeys: [],
    });
    expect(fromHex.tokenKey.equals(key)).toBe(true);
    const previous = randomBytes(32);
    const fromBase64 = loadConfig({
      ...base,
      SMSYNC_GOOGLE_TOKEN_KEY: key.toString("base64"),
      SMSYNC_GOOGLE_PREVIOUS_TOKEN_KEYS: previous.toString("base64url"),
      SMSYNC_GOOGLE_CERTS_URL: "http://127.0.0.1:9/certs",
      SMSYNC_GOOGLE_TOKEN_URL: "http://127.0.0.1:9/token",
    }).google!;
    expect(fromBase64.tokenKey.equals(key)).toBe(true);
    expect(fromBase64.previousTokenKeys.map((k) => k.toString("hex"))).toEqual([previous.toString("hex")]);
    expect(fromBase64).toMatchObject({ certsUrl: "http://127.0.0.1:9/certs", tokenUrl: "http://127.0.0.1:9/token" });
  });

  it("names the missing secret and key, and a key of the wrong length", () => {
    const missing = configErrorOf({ SMSYNC_GOOGLE_CLIENT_ID: "id" });
    expect(missing).toContain("SMSYNC_GOOGLE_CLIENT_SECRET");
    expect(missing).toContain("SMSYNC_GOOGLE_TOKEN_KEY");
    expect(
      configErrorOf({
        SMSYNC_GOOGLE_CLIENT_ID: "id",
        SMSYNC_GOOGLE_CLIENT_SECRET: "s",
        SMSYNC_GOOGLE_TOKEN_KEY: randomBytes(16).toString("hex"),
      }),
    ).toMatch(/SMSYNC_GOOGLE_TOKEN_KEY: must be 32 bytes/);
  });
});
