// The fake's files resource: create (metadata only, e.g. folders), list
// with `q`, get (metadata, or alt=media with Range), delete, update.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DriveStore, FakeDriveFile } from "./DriveStore.ts";
import { parseDriveQuery, UnsupportedQueryError } from "./driveQuery.ts";
import { readJson, sendDriveError, sendJson } from "./http.ts";

export interface FilesRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  account: string;
  store: DriveStore;
}

/** Metadata only; with an `id` (from generateIds) the file gets it, and an id already taken is a 409. */
export async function createFile({ req, res, account, store }: FilesRequest): Promise<void> {
  const metadata = await readJson(req);
  const id = typeof metadata.id === "string" ? metadata.id : undefined;
  if (id !== undefined && store.files.has(id))
    return sendDriveError(res, 409, "fileIdInUse", "A file already exists with the provided ID.");
  if (id !== undefined && !store.generatedIds.has(id))
    return sendDriveError(res, 400, "fileIdNotUsable", "The provided file ID is not usable.");
  const missing = store.missingParent(account, metadata.parents as string[] | undefined);
  if (missing) return sendDriveError(res, 404, "notFound", `File not found: ${missing}.`);
  const file = store.createFile(account, metadata, Buffer.alloc(0), id);
  sendJson(res, 200, store.resource(file));
}

export function generateIds({ res, url, store }: FilesRequest): void {
  const count = Number(url.searchParams.get("count") ?? 10);
  const ids = Array.from({ length: count }, () => store.generateId());
  sendJson(res, 200, { kind: "drive#generatedIds", space: url.searchParams.get("space") ?? "drive", ids });
}

export function listFiles({ res, url, account, store }: FilesRequest): void {
  let matches: (file: FakeDriveFile) => boolean = () => true;
  const q = url.searchParams.get("q");
  if (q) {
    try {
      matches = parseDriveQuery(q);
    } catch (error) {
      if (error instanceof UnsupportedQueryError) return sendDriveError(res, 400, "invalid", error.message);
      throw error;
    }
  }
  const found = store.filesOf(account).filter(matches);
  const pageSize = Math.min(Number(url.searchParams.get("pageSize") ?? 100), 1000);
  const offset = Number(url.searchParams.get("pageToken") ?? 0);
  const page = found.slice(offset, offset + pageSize);
  const next = offset + pageSize < found.length ? { nextPageToken: String(offset + pageSize) } : {};
  sendJson(res, 200, { kind: "drive#fileList", files: page.map((file) => store.resource(file)), ...next });
}

function fileOrNotFound({ res, account, store }: FilesRequest, id: string): FakeDriveFile | undefined {
  const file = store.fileOf(account, id);
  if (!file) sendDriveError(res, 404, "notFound", `File not found: ${id}.`);
  return file;
}

export function getFile(request: FilesRequest, id: string): void {
  const file = fileOrNotFound(request, id);
  if (file) sendJson(request.res, 200, request.store.resource(file));
}

/**
 * Serves the content, or a range of it (unless `ignoreRange`); with `cutAfter`, only that many
 * body bytes before the connection is cut. Returns the body bytes sent.
 */
export function downloadMedia(
  request: FilesRequest,
  id: string,
  { cutAfter, ignoreRange }: { cutAfter?: number; ignoreRange?: boolean } = {},
): number {
  const file = fileOrNotFound(request, id);
  if (!file) return 0;
  const { req, res } = request;
  const size = file.content.length;
  const range = ignoreRange ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  let start = 0;
  let end = size - 1;
  if (range) {
    start = Number(range[1]);
    end = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1);
    if (start >= size || start > end) {
      res.writeHead(416, { "content-range": `bytes */${size}` });
      res.end();
      return 0;
    }
    res.writeHead(206, {
      "content-type": file.mimeType,
      "content-length": end - start + 1,
      "content-range": `bytes ${start}-${end}/${size}`,
    });
  } else {
    res.writeHead(200, { "content-type": file.mimeType, "content-length": size });
  }
  const body = file.content.subarray(start, end + 1);
  if (cutAfter === undefined || cutAfter >= body.length) {
    res.end(body);
    return body.length;
  }
  // The headers and the first bytes leave, then the connection drops.
  res.write(body.subarray(0, cutAfter), () => req.socket.destroy());
  return cutAfter;
}

export function deleteFile(request: FilesRequest, id: string): void {
  const file = fileOrNotFound(request, id);
  if (!file) return;
  request.store.deleteWithDescendants(id);
  request.res.writeHead(204);
  request.res.end();
}

export async function updateFile(request: FilesRequest, id: string): Promise<void> {
  const changes = await readJson(request.req);
  const file = fileOrNotFound(request, id);
  if (!file) return;
  if (typeof changes.trashed === "boolean") file.trashed = changes.trashed;
  if (typeof changes.name === "string") file.name = changes.name;
  if (changes.appProperties && typeof changes.appProperties === "object")
    Object.assign(file.appProperties, changes.appProperties);
  sendJson(request.res, 200, request.store.resource(file));
}
