// The batch paths from tests: bodies framed by @smsync/protocol's own
// encoder, sent with plain fetch, answers read back whole.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import {
  batchUploadHead,
  downloadBatchesPath,
  encodeFrameHead,
  FramedStreamReader,
  heldUploadsPath,
  uploadBatchesPath,
  type BatchDownloadHead,
  type BatchUploadFile,
} from "@smsync/protocol";
import { sha256Hex } from "./uploads.ts";

export interface BatchEntry {
  file: BatchUploadFile;
  content: Buffer;
}

/** A file of a batch upload: version 0 of a new file by default, its sha256 that of its content. */
export function batchEntry(content: Buffer, file: Partial<BatchUploadFile> = {}): BatchEntry {
  const fileUUID = file.fileUUID ?? randomUUID();
  return {
    content,
    file: {
      fileUUID,
      version: 0,
      sha256: sha256Hex(content),
      size: content.length,
      cloudFileName: `${fileUUID}.bin`,
      mimeType: "application/octet-stream",
      ...file,
    },
  };
}

/** The framed body of a batch upload (head and bytes), as the SDK sends it. */
export function uploadBatchBody(fencingToken: number, entries: BatchEntry[]): Buffer {
  const head = encodeFrameHead(
    batchUploadHead(
      fencingToken,
      entries.map((entry) => entry.file),
    ),
  );
  return Buffer.concat([head, ...entries.map((entry) => entry.content)]);
}

function post(url: string, token: string, body: Uint8Array): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: new Blob([body as Uint8Array<ArrayBuffer>]),
  });
}

export function postUploadBatch(baseUrl: string, token: string, body: Uint8Array): Promise<Response> {
  return post(`${baseUrl}${uploadBatchesPath}`, token, body);
}

/** Uploads a batch; resolves with the answer (200 or the error's). */
export function uploadBatchOf(baseUrl: string, token: string, fencingToken: number, entries: BatchEntry[]) {
  return postUploadBatch(baseUrl, token, uploadBatchBody(fencingToken, entries));
}

/** The fileUUIDs of these files that the server holds staged under the grant. */
export async function heldOf(baseUrl: string, token: string, fencingToken: number, entries: BatchEntry[]) {
  const head = encodeFrameHead(
    batchUploadHead(
      fencingToken,
      entries.map((entry) => entry.file),
    ),
  );
  const response = await post(`${baseUrl}${heldUploadsPath}`, token, head);
  if (!response.ok) throw new Error(`held: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { held: string[] }).held;
}

export function postDownloadBatch(baseUrl: string, token: string, files: { fileUUID: string; version: number }[]) {
  return post(`${baseUrl}${downloadBatchesPath}`, token, encodeFrameHead({ files }));
}

/** A batch download's files, read from a 200 answer: each with the bytes that followed the head. */
export async function downloadedFiles(response: Response) {
  if (!response.ok) throw new Error(`download batch: HTTP ${response.status} ${await response.text()}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const reader = new FramedStreamReader(Readable.from([bytes]));
  const head = (await reader.readHead(Number.MAX_SAFE_INTEGER)) as BatchDownloadHead;
  const files: (BatchDownloadHead["files"][number] & { content: Buffer })[] = [];
  for (const file of head.files) {
    const pieces: Uint8Array[] = [];
    for await (const piece of reader.readBytes(file.size)) pieces.push(piece);
    files.push({ ...file, content: Buffer.concat(pieces) });
  }
  if (await reader.hasMore()) throw new Error("download batch: bytes after the last file");
  return files;
}
