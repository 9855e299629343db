// The Google part of the configuration (docs/google-drive.md): the OAuth
// client that users sign in with and grant Drive access to, Google's
// endpoints (configurable so tests can serve their own), and the key that
// encrypts refresh tokens at rest.
import { z } from "zod";

export interface GoogleConfig {
  clientId: string;
  clientSecret: string;
  /** Google's signing keys for ID tokens, as a JWKS. */
  certsUrl: string;
  /** The OAuth token endpoint: authorization codes and refresh tokens. */
  tokenUrl: string;
  /** Google's consent page, where a web app sends a person to sign in (told to apps in serverInfo). */
  authorizationUrl: string;
  /** Sent with the code exchange when the app's code flow used one ("postmessage" for a web popup). */
  redirectUri?: string;
  /** Encrypts new refresh tokens; 32 bytes. */
  tokenKey: Buffer;
  /** Earlier keys, to decrypt tokens stored before a rotation. */
  previousTokenKeys: Buffer[];
}

/** 32 bytes as 64 hex digits or base64 (standard or URL-safe). */
export function parseTokenKey(value: string): Buffer | null {
  const text = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  return bytes.length === 32 ? bytes : null;
}

const tokenKey = z.string().refine((value) => parseTokenKey(value) !== null, {
  message: "must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)",
});

const tokenKeyList = z.string().refine((value) => value.split(",").every((key) => parseTokenKey(key) !== null), {
  message: "must be comma-separated keys of 32 bytes, each as 64 hex digits or base64",
});

export const googleEnvironmentShape = {
  SMSYNC_GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  SMSYNC_GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  SMSYNC_GOOGLE_CERTS_URL: z.url().default("https://www.googleapis.com/oauth2/v3/certs"),
  SMSYNC_GOOGLE_TOKEN_URL: z.url().default("https://oauth2.googleapis.com/token"),
  SMSYNC_GOOGLE_AUTHORIZATION_URL: z.url().default("https://accounts.google.com/o/oauth2/v2/auth"),
  SMSYNC_GOOGLE_REDIRECT_URI: z.string().min(1).optional(),
  SMSYNC_GOOGLE_TOKEN_KEY: tokenKey.optional(),
  SMSYNC_GOOGLE_PREVIOUS_TOKEN_KEYS: tokenKeyList.optional(),
};

type GoogleEnvironment = z.output<z.ZodObject<typeof googleEnvironmentShape>>;

/** Google is configured by its client id; the secret and the token key must then be set too. */
export function checkGoogleEnvironment(env: GoogleEnvironment, context: z.RefinementCtx): void {
  if (!env.SMSYNC_GOOGLE_CLIENT_ID) return;
  for (const name of ["SMSYNC_GOOGLE_CLIENT_SECRET", "SMSYNC_GOOGLE_TOKEN_KEY"] as const) {
    if (!env[name])
      context.addIssue({ code: "custom", path: [name], message: "is required when SMSYNC_GOOGLE_CLIENT_ID is set" });
  }
}

export function googleConfigFrom(env: GoogleEnvironment): GoogleConfig | null {
  if (!env.SMSYNC_GOOGLE_CLIENT_ID || !env.SMSYNC_GOOGLE_CLIENT_SECRET || !env.SMSYNC_GOOGLE_TOKEN_KEY) return null;
  return {
    clientId: env.SMSYNC_GOOGLE_CLIENT_ID,
    clientSecret: env.SMSYNC_GOOGLE_CLIENT_SECRET,
    certsUrl: env.SMSYNC_GOOGLE_CERTS_URL,
    tokenUrl: env.SMSYNC_GOOGLE_TOKEN_URL,
    authorizationUrl: env.SMSYNC_GOOGLE_AUTHORIZATION_URL,
    redirectUri: env.SMSYNC_GOOGLE_REDIRECT_URI,
    tokenKey: parseTokenKey(env.SMSYNC_GOOGLE_TOKEN_KEY)!,
    previousTokenKeys: (env.SMSYNC_GOOGLE_PREVIOUS_TOKEN_KEYS?.split(",") ?? []).map((key) => parseTokenKey(key)!),
  };
}
