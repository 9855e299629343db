// Verifies a Google ID token (a JWT signed RS256 by Google): the signature
// against Google's published keys (a JWKS fetched from the configured URL,
// cached, and fetched again when a token names an unknown key), the audience
// (our OAuth client id), the issuer and the expiry, with a small allowance
// for clock skew. jose does the cryptography; this file names the check that
// failed, so a client (and whoever reads the logs) knows what was wrong.
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { GoogleConfig } from "../config/googleConfig.ts";

export type IdTokenRejection =
  "malformed" | "signature" | "audience" | "issuer" | "expired" | "notYetValid" | "subject";

export class GoogleIdTokenInvalidError extends Error {
  override name = "GoogleIdTokenInvalidError";

  constructor(
    readonly reason: IdTokenRejection,
    message: string,
  ) {
    super(message);
  }
}

/** Google's keys could not be fetched: nothing is known about the token. */
export class GoogleCertsUnavailableError extends Error {
  override name = "GoogleCertsUnavailableError";
}

export interface GoogleIdentity {
  /** Stable for the Google account. */
  subject: string;
  email?: string;
}

export const googleIssuers = ["accounts.google.com", "https://accounts.google.com"];
const clockToleranceSeconds = 60;

export class GoogleIdTokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: Pick<GoogleConfig, "clientId" | "certsUrl">) {
    this.keys = createRemoteJWKSet(new URL(config.certsUrl), { timeoutDuration: 10_000 });
  }

  async verify(idToken: string): Promise<GoogleIdentity> {
    let payload;
    try {
      ({ payload } = await jwtVerify(idToken, this.keys, {
        algorithms: ["RS256"],
        audience: this.config.clientId,
        issuer: googleIssuers,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ["exp", "iat", "sub"],
      }));
    } catch (error) {
      throw classify(error);
    }
    if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 255) {
      throw new GoogleIdTokenInvalidError("subject", "the ID token has no valid sub claim");
    }
    return { subject: payload.sub, email: typeof payload.email === "string" ? payload.email : undefined };
  }
}

function classify(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new GoogleIdTokenInvalidError("expired", "the ID token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud")
      return new GoogleIdTokenInvalidError("audience", "the ID token was issued for another OAuth client (aud)");
    if (error.claim === "iss")
      return new GoogleIdTokenInvalidError("issuer", "the ID token was not issued by Google (iss)");
    if (error.claim === "nbf" || error.claim === "iat") {
      return new GoogleIdTokenInvalidError("notYetValid", `the ID token is not valid yet (${error.claim})`);
    }
    return new GoogleIdTokenInvalidError(
      "malformed",
      `the ID token's ${error.claim} claim is invalid: ${error.reason}`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new GoogleIdTokenInvalidError("signature", "the ID token's signature does not match Google's keys");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new GoogleIdTokenInvalidError("signature", "the ID token is not signed with RS256");
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new GoogleIdTokenInvalidError("malformed", "the ID token is not a well-formed signed JWT");
  }
  // Fetching or parsing Google's keys failed (network, non-200, timeout, invalid JWKS).
  return new GoogleCertsUnavailableError(
    `Google's signing keys could not be fetched: ${(error as Error)?.message ?? error}`,
    { cause: error },
  );
}
