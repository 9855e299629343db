// Signing in with Google (src/google/GoogleSignIn.ts): unauthenticated, it is
// how a device gets its token. Not an idempotentMutation (there is no caller
// to key it by): repeating it issues another token for the same device and
// changes nothing else, except that an authorization code works only once.
import type { GoogleSignInResult } from "../../google/GoogleSignIn.ts";
import { SmsyncError } from "../../errors/SmsyncError.ts";
import { builder } from "../builder.ts";

const GoogleSignInType = builder.objectRef<GoogleSignInResult>("GoogleSignIn").implement({
  description: "A device signed in with Google.",
  fields: (t) => ({
    token: t.exposeString("token", {
      description: "The device token, shown once: send it as Authorization: Bearer <token>.",
    }),
    userId: t.exposeID("userId"),
    userName: t.exposeString("userName"),
    deviceName: t.exposeString("deviceName"),
    newUser: t.exposeBoolean("newUser", { description: "True when this sign-in created the user." }),
    driveAccess: t.exposeBoolean("driveAccess", {
      description:
        "Whether the server holds the user's Drive authorization (a refresh token Google has not refused). False: sign in again with an authorization code.",
    }),
  }),
});

builder.mutationField("signInWithGoogle", (t) =>
  t.field({
    type: GoogleSignInType,
    description:
      "Signs a device in with Google, creating the user on the first sign-in: with a Google ID token (audience: the server's OAuth client id), or with only an authorization code whose grant includes the openid scope (a web app's redirect to serverInfo.googleSignIn.authorizationUrl). With authorizationCode (the app's OAuth code flow, scope drive.file, offline access) the server also stores the user's Drive authorization. Errors: GOOGLE_ID_TOKEN_INVALID (extensions.reason), GOOGLE_AUTHORIZATION_CODE_INVALID, GOOGLE_UNAVAILABLE, GOOGLE_NOT_CONFIGURED, BAD_INPUT.",
    args: {
      idToken: t.arg.string({ description: "Optional when authorizationCode's grant includes the openid scope." }),
      deviceName: t.arg.string({
        required: true,
        description: "The device to sign in (created on first use), 1-64 letters, digits or . _ @ -",
      }),
      authorizationCode: t.arg.string({ description: "A one-time OAuth authorization code for Drive access." }),
      redirectUri: t.arg.string({
        description:
          "The redirect_uri the code was sent back to, when the app chose it (a web app's own page); otherwise the server's SMSYNC_GOOGLE_REDIRECT_URI is used.",
      }),
      codeVerifier: t.arg.string({
        description: "The PKCE code_verifier, when the consent request carried a code_challenge (S256).",
      }),
    },
    resolve: (_root, args, context) => {
      const google = context.services.google;
      if (!google)
        throw new SmsyncError(
          "GOOGLE_NOT_CONFIGURED",
          "this server does not offer Google sign-in (SMSYNC_GOOGLE_CLIENT_ID is unset)",
        );
      return google.signIn.signIn(args);
    },
  }),
);
