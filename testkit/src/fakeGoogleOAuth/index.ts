// A fake of Google's OAuth endpoints (consent, token, signing keys) on
// loopback, and the ID tokens it signs.
export * from "./FakeGoogleOAuthServer.ts";
export * from "./signingKeys.ts";
export * from "./tokenGrants.ts";
