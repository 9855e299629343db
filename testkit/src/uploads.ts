// Uploading over tus from tests, with tus-js-client (a client no one here wrote).
import { createHash, randomUUID } from "node:crypto";
import { encodeUploadMetadata } from "@smsync/protocol";
import * as tus from "tus-js-client";
import type { TestGraphQLClient } from "./graphqlClient.ts";

export function sha256Hex(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

export interface UploadSpec {
  fileUUID?: string;
  version: number;
  content: Buffer;
  cloudFileName?: string;
  mimeType?: string;
  appMetaData?: string;
  fencingToken: number;
  sha256?: string;
  undelete?: boolean;
}

/** The metadata pairs of an upload, as the SDK encodes them (@smsync/protocol). */
export function uploadMetadata(spec: UploadSpec & { fileUUID: string }): Record<string, string> {
  return encodeUploadMetadata({
    fileUUID: spec.fileUUID,
    version: spec.version,
    sha256: spec.sha256 ?? sha256Hex(spec.content),
    cloudFileName: spec.cloudFileName ?? `${spec.fileUUID}.bin`,
    mimeType: spec.mimeType ?? "application/octet-stream",
    fencingToken: spec.fencingToken,
    appMetaData: spec.appMetaData || null,
    undelete: spec.undelete,
  });
}

/** Uploads a whole file; resolves with the upload URL, rejects with tus's error (which carries the response). */
export function tusUpload(
  baseUrl: string,
  token: string,
  spec: UploadSpec,
  options: Partial<tus.UploadOptions> = {},
): Promise<{ url: string; fileUUID: string }> {
  const fileUUID = spec.fileUUID ?? randomUUID();
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(spec.content, {
      endpoint: `${baseUrl}/uploads`,
      headers: { authorization: `Bearer ${token}` },
      metadata: uploadMetadata({ ...spec, fileUUID }),
      retryDelays: [],
      storeFingerprintForResuming: false,
      ...options,
      onError: reject,
      onSuccess: () => resolve({ url: upload.url!, fileUUID }),
    });
    upload.start();
  });
}

/** Upload-Metadata as tus encodes it; null stands for a key without a value. */
export function encodeMetadata(metadata: Record<string, string | null>): string {
  return Object.entries(metadata)
    .map(([key, value]) => (value === null ? key : `${key} ${Buffer.from(value, "utf8").toString("base64")}`))
    .join(",");
}

/** The JSON body of a refusal on the byte plane (docs/protocol.md, "Errors"): `{ code, message, ...extensions }`. */
export interface ErrorBody {
  code: string;
  message: string;
  [extension: string]: unknown;
}

/** The error body of a byte-plane answer (an upload's or a download's). */
export async function errorBodyOf(response: Response): Promise<ErrorBody> {
  return (await response.json()) as ErrorBody;
}

/** A raw tus request, for tests that need to see or shape each one. */
export function tusRequest(
  url: string,
  token: string,
  method: string,
  headers: Record<string, string> = {},
  body?: Buffer,
) {
  return fetch(url, {
    method,
    headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${token}`, ...headers },
    body: body ? new Uint8Array(body) : undefined,
  });
}

export function tusPatch(url: string, token: string, offset: number, body: Buffer) {
  return tusRequest(
    url,
    token,
    "PATCH",
    { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
    body,
  );
}

/** What startedTusUpload needs of a test server. */
interface ServerWithUsers {
  url: string;
  newUser(): Promise<TestGraphQLClient & { userName: string }>;
}

/**
 * A new user whose device holds the lock, and a raw tus upload of `content`
 * created under that grant that has received its first `received` bytes.
 */
export async function startedTusUpload(server: ServerWithUsers, content: Buffer, received: number) {
  const device = await server.newUser();
  const { fencingToken } = await device.lock();
  const fileUUID = randomUUID();
  const created = await tusRequest(`${server.url}/uploads`, device.token!, "POST", {
    "Upload-Length": String(content.length),
    "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID, version: 0, content, fencingToken })),
  });
  if (created.status !== 201) throw new Error(`tus creation answered ${created.status}: ${await created.text()}`);
  const url = created.headers.get("location")!;
  if (received > 0) {
    const patched = await tusPatch(url, device.token!, 0, content.subarray(0, received));
    if (patched.status !== 204) throw new Error(`tus PATCH answered ${patched.status}: ${await patched.text()}`);
  }
  return { device, fencingToken, fileUUID, url, id: url.split("/").pop()! };
}
