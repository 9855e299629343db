// Refresh tokens at rest: AES-256-GCM with a random 96-bit IV per encryption,
// the user's id as additional data (a ciphertext copied to another user's row
// does not decrypt), and a key id in front so that keys can be rotated: new
// tokens are encrypted with the current key, older ones still decrypt with
// the previous keys listed in the configuration.
//
//   v1.<key id>.<iv>.<ciphertext>.<tag>     (base64url parts)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const version = "v1";

export class RefreshTokenDecryptionError extends Error {
  override name = "RefreshTokenDecryptionError";
}

/** A short, stable name for a key that does not reveal it. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("smsync google token key\0").update(key).digest("base64url").slice(0, 8);
}

export class RefreshTokenCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly currentKeyId: string;

  constructor(currentKey: Buffer, previousKeys: Buffer[] = []) {
    for (const key of [currentKey, ...previousKeys]) {
      if (key.length !== 32) throw new RangeError("an AES-256 key has 32 bytes");
    }
    this.currentKeyId = keyIdOf(currentKey);
    this.keys = new Map([...previousKeys, currentKey].map((key) => [keyIdOf(key), key]));
  }

  encrypt(refreshToken: string, userId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(userId));
    const ciphertext = Buffer.concat([cipher.update(refreshToken, "utf8"), cipher.final()]);
    return [version, this.currentKeyId, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  decrypt(stored: string, userId: string): string {
    const [storedVersion, keyId, iv, ciphertext, tag, ...rest] = stored.split(".");
    if (
      storedVersion !== version ||
      keyId === undefined ||
      iv === undefined ||
      ciphertext === undefined ||
      tag === undefined ||
      rest.length > 0
    ) {
      throw new RefreshTokenDecryptionError("the stored refresh token is not in the v1 format");
    }
    const key = this.keys.get(keyId);
    if (!key)
      throw new RefreshTokenDecryptionError(
        `the stored refresh token was encrypted with key ${keyId}, which is not configured`,
      );
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
    } catch (error) {
      throw new RefreshTokenDecryptionError("the stored refresh token does not decrypt (altered, or another user's)", {
        cause: error,
      });
    }
  }

  /** Whether a stored token was encrypted with an older key (to re-encrypt it when convenient). */
  needsReencryption(stored: string): boolean {
    return stored.split(".")[1] !== this.currentKeyId;
  }
}
