// The fake Google's signing keys: an RSA key pair made in the test, served as
// a JWKS, and ID tokens minted with it, or deliberately wrong (another
// audience or issuer, expired, signed by a key Google never published).
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { exportJWK, SignJWT, type JWK } from "jose";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

export async function jwksOf(keys: SigningKey[]): Promise<{ keys: JWK[] }> {
  return {
    keys: await Promise.all(
      keys.map(async (key) => ({ ...(await exportJWK(key.publicKey)), kid: key.kid, alg: "RS256", use: "sig" })),
    ),
  };
}

export interface IdTokenClaims {
  subject: string;
  email?: string;
  audience: string;
  issuer?: string;
  /** Seconds from now; negative for a token that has expired. Default 3600. */
  expiresInSeconds?: number;
  /** Signed by this key instead of the published one. */
  signedBy?: SigningKey;
  /** The kid header, when it should differ from the signing key's (a forged token claiming Google's key). */
  kid?: string;
}

export async function mintIdToken(key: SigningKey, claims: IdTokenClaims): Promise<string> {
  const signer = claims.signedBy ?? key;
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = claims.expiresInSeconds ?? 3600;
  return new SignJWT({ email: claims.email, email_verified: claims.email !== undefined })
    .setProtectedHeader({ alg: "RS256", kid: claims.kid ?? signer.kid, typ: "JWT" })
    .setSubject(claims.subject)
    .setAudience(claims.audience)
    .setIssuer(claims.issuer ?? "https://accounts.google.com")
    .setIssuedAt(Math.min(now, now + expiresIn - 60))
    .setExpirationTime(now + expiresIn)
    .sign(signer.privateKey);
}
