// The fake's one-request upload, as Drive documents it:
//   POST /upload/drive/v3/files?uploadType=multipart
//   Content-Type: multipart/related; boundary=B
//     --B, Content-Type: application/json (the file's metadata)
//     --B, Content-Type: <the media's type> (the bytes)
//     --B--
//   -> 200 with the file resource: the fields asked for (`fields`), or
//      Drive's default (kind, id, name, mimeType) without them.
// Strict where Drive may be lenient: a body that is not exactly those two
// parts is a 400, and so is media over Drive's documented 5 MiB ceiling for
// this upload type, so a client that leans on leniency fails the test.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DriveStore, UploadSession } from "./DriveStore.ts";
import { readBody, sendDriveError, sendJson } from "./http.ts";

export const multipartMaxBytes = 5 * 1024 * 1024;

export interface MultipartRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  account: string;
  store: DriveStore;
  /** Set by a wrongMd5 fault: the answer reports this md5. */
  md5Override?: () => string | undefined;
}

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

export class MultipartBodyError extends Error {
  override name = "MultipartBodyError";
}

/** Returns the media bytes the fake received. */
export async function multipartUpload({
  req,
  res,
  url,
  account,
  store,
  md5Override,
}: MultipartRequest): Promise<number> {
  const body = await readBody(req);
  let parts: Part[];
  try {
    parts = parseMultipartRelated(req.headers["content-type"], body);
  } catch (error) {
    if (!(error instanceof MultipartBodyError)) throw error;
    sendDriveError(res, 400, "badMultipart", error.message);
    return 0;
  }
  const [metadataPart, mediaPart] = parts as [Part, Part];
  if (mediaPart.body.length > multipartMaxBytes) {
    sendDriveError(res, 400, "uploadTooLarge", `a multipart upload takes at most ${multipartMaxBytes} bytes`);
    return mediaPart.body.length;
  }
  let metadata: UploadSession["metadata"];
  try {
    metadata = JSON.parse(metadataPart.body.toString("utf8")) as UploadSession["metadata"];
  } catch {
    sendDriveError(res, 400, "parseError", "the metadata part is not JSON");
    return mediaPart.body.length;
  }
  const missing = store.missingParent(account, metadata.parents);
  if (missing) {
    sendDriveError(res, 404, "notFound", `File not found: ${missing}.`);
    return mediaPart.body.length;
  }
  const file = store.createFile(
    account,
    { ...metadata, mimeType: metadata.mimeType ?? mediaPart.headers["content-type"] },
    mediaPart.body,
  );
  sendJson(res, 200, selectFields(store.resource(file, md5Override?.()), url.searchParams.get("fields")));
  return mediaPart.body.length;
}

/** The two parts of a multipart/related body: metadata (JSON) first, then the media. */
export function parseMultipartRelated(contentType: string | undefined, body: Buffer): Part[] {
  const boundary = /^multipart\/related;\s*boundary="?([^";]+)"?/i.exec(contentType ?? "")?.[1];
  if (!boundary) throw new MultipartBodyError(`not multipart/related with a boundary: ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at !== 0) throw new MultipartBodyError("the body does not start with the boundary");
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === "--") break; // the closing delimiter
    if (body.subarray(at, at + 2).toString() !== "\r\n") throw new MultipartBodyError("a boundary line ends badly");
    const headerEnd = body.indexOf("\r\n\r\n", at);
    if (headerEnd < 0) throw new MultipartBodyError("a part has no end of headers");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) throw new MultipartBodyError("a part is not closed by the boundary");
    parts.push({ headers: parseHeaders(body.subarray(at + 2, headerEnd)), body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  if (parts.length !== 2) throw new MultipartBodyError(`${parts.length} parts, not metadata and media`);
  if (!/^application\/json/i.test(parts[0]!.headers["content-type"] ?? ""))
    throw new MultipartBodyError("the first part is not application/json metadata");
  if (!parts[1]!.headers["content-type"]) throw new MultipartBodyError("the media part has no Content-Type");
  return parts;
}

function parseHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.toString("utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The resource cut to the top-level `fields` asked for ("*": all); Drive's default set without them. */
export function selectFields(resource: Record<string, unknown>, fields: string | null): Record<string, unknown> {
  if (fields?.trim() === "*") return resource;
  const names = fields ? fields.split(",").map((name) => name.trim()) : ["kind", "id", "name", "mimeType"];
  return Object.fromEntries(Object.entries(resource).filter(([name]) => names.includes(name)));
}
