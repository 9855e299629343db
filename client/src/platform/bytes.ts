// Byte helpers that run the same in Node and browsers (Web Crypto, atob/btoa):
// the code shared by both clients must not import node:crypto or use Buffer
// (Node's own hash is looked up at run time, below).

/**
 * node:crypto's one-shot `hash` when this runs in Node, found at run time so
 * that browsers never load it. It hashes the bytes where they are, on the
 * calling thread: Web Crypto's `digest` copies them and goes through the
 * thread pool, about ten times the cost for a small file.
 */
const nodeHash = (
  globalThis as {
    process?: {
      getBuiltinModule?: (
        id: "node:crypto",
      ) => { hash?: (algorithm: string, data: Uint8Array, encoding: "hex") => string } | undefined;
    };
  }
).process?.getBuiltinModule?.("node:crypto")?.hash;

/** Hex SHA-256 of bytes held in memory. */
export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  if (nodeHash) return nodeHash("sha256", bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), "hex");
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Base64 of bytes (for the small payloads uploadData keeps in the store). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // In slices: String.fromCharCode takes its bytes as arguments, and arguments are limited.
  for (let start = 0; start < bytes.byteLength; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
