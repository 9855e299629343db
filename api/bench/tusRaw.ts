// A minimal tus 1.0 client over node:http (creation, then PATCH requests),
// streaming generated content so that nothing the size of the file is held
// in memory. Used where the bench wants to control the requests exactly;
// tus-js-client (the client no one here wrote) is measured beside it.
import { randomUUID } from "node:crypto";
import { uploadMetadata } from "@smsync/testkit";
import { contentStream } from "./content.ts";
import { HttpError, httpRequest } from "./http.ts";

export interface TusTarget {
  baseUrl: string;
  token: string;
}

export interface GeneratedUpload {
  size: number;
  sha256: string;
  fencingToken: number;
  /** Bytes per PATCH request; Infinity sends the whole file in one PATCH. */
  chunkBytes: number;
  /** Told of each chunk of content handed to the socket. */
  onProgress?: (bytes: number) => void;
}

export function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value, "utf8").toString("base64")}`)
    .join(",");
}

/** The Upload-Metadata of a generated file: the same format as the tests' uploads (test/support/uploads.ts). */
export function generatedMetadata(fileUUID: string, upload: Pick<GeneratedUpload, "sha256" | "fencingToken">) {
  // content is only read when sha256 is absent; the real content is streamed.
  return uploadMetadata({
    fileUUID,
    version: 0,
    content: Buffer.alloc(0),
    sha256: upload.sha256,
    fencingToken: upload.fencingToken,
  });
}

/** Uploads a generated file over tus; resolves once the server has answered the last PATCH. */
export async function rawTusUpload(
  target: TusTarget,
  upload: GeneratedUpload,
): Promise<{ uploadId: string; fileUUID: string }> {
  const fileUUID = randomUUID();
  const auth = { authorization: `Bearer ${target.token}`, "tus-resumable": "1.0.0" };
  const created = await httpRequest(`${target.baseUrl}/uploads`, {
    method: "POST",
    headers: {
      ...auth,
      "upload-length": String(upload.size),
      "upload-metadata": encodeMetadata(generatedMetadata(fileUUID, upload)),
      "content-length": "0",
    },
  });
  const location = created.headers.location;
  if (created.status !== 201 || !location) throw new HttpError("tus creation", created);
  const url = new URL(location, target.baseUrl).toString();

  let offset = 0;
  while (offset < upload.size) {
    const end = Math.min(upload.size, offset + upload.chunkBytes);
    const patched = await httpRequest(
      url,
      {
        method: "PATCH",
        headers: {
          ...auth,
          "upload-offset": String(offset),
          "content-type": "application/offset+octet-stream",
          "content-length": String(end - offset),
        },
      },
      contentStream(upload.size, offset, end, upload.onProgress),
    );
    if (patched.status !== 204) throw new HttpError(`tus PATCH at ${offset}`, patched);
    const newOffset = Number(patched.headers["upload-offset"]);
    if (newOffset !== end) throw new Error(`tus PATCH at ${offset}: server is at ${newOffset}, expected ${end}`);
    offset = newOffset;
  }
  return { uploadId: url.split("/").pop()!, fileUUID };
}
