// The encryption of refresh tokens at rest: round trip, a fresh IV each
// time, bound to the user, tamper-evident, and keys that can be rotated.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyIdOf, RefreshTokenCipher, RefreshTokenDecryptionError } from "../../src/google/RefreshTokenCipher.ts";

const token = "1//0gFakeRefreshToken-abcdefghijklmnopqrstuvwxyz";

describe("RefreshTokenCipher", () => {
  it("decrypts what it encrypted, never shows the token, and uses a new IV each time", () => {
    const cipher = new RefreshTokenCipher(randomBytes(32));
    const first = cipher.encrypt(token, "user-1");
    const second = cipher.encrypt(token, "user-1");
    expect(first).not.toBe(second);
    expect(first).not.toContain(token);
    expect(first.split(".")).toHaveLength(5);
    expect(cipher.decrypt(first, "user-1")).toBe(token);
    expect(cipher.decrypt(second, "user-1")).toBe(token);
  });

  it("refuses another user's ciphertext, an altered one, and one under an unknown key", () => {
    const cipher = new RefreshTokenCipher(randomBytes(32));
    const stored = cipher.encrypt(token, "user-1");
    expect(() => cipher.decrypt(stored, "user-2")).toThrow(RefreshTokenDecryptionError);
    // v1.<key id>.<iv>.<ciphertext>.<tag>: one bit of the ciphertext flipped.
    const [version, keyId, iv, ciphertext = "", tag] = stored.split(".");
    const flipped = Buffer.from(ciphertext, "base64url");
    flipped[0] = flipped.readUInt8(0) ^ 1;
    const altered = [version, keyId, iv, flipped.toString("base64url"), tag].join(".");
    expect(() => cipher.decrypt(altered, "user-1")).toThrow(/does not decrypt/);
    expect(() => new RefreshTokenCipher(randomBytes(32)).decrypt(stored, "user-1")).toThrow(/not configured/);
    expect(() => cipher.decrypt(token, "user-1")).toThrow(/format/);
  });

  it("rotates keys: the new key encrypts, the previous ones still decrypt", () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const stored = new RefreshTokenCipher(oldKey).encrypt(token, "user-1");
    const rotated = new RefreshTokenCipher(newKey, [oldKey]);
    expect(rotated.decrypt(stored, "user-1")).toBe(token);
    expect(rotated.needsReencryption(stored)).toBe(true);
    const again = rotated.encrypt(token, "user-1");
    expect(again.split(".")[1]).toBe(keyIdOf(newKey));
    expect(rotated.needsReencryption(again)).toBe(false);
    expect(() => new RefreshTokenCipher(oldKey).decrypt(again, "user-1")).toThrow(RefreshTokenDecryptionError);
  });
});
