// The fake's resumable upload protocol, as Drive documents it:
//   POST /upload/drive/v3/files?uploadType=resumable  (JSON metadata)
//     -> 200, Location: the session URI
//   PUT <session> Content-Range: bytes a-b/total   (a chunk; all but the last
//     a multiple of 256 KiB) -> 308 Resume Incomplete, Range: bytes=0-N; the
//     last -> 200 with the file resource
//   PUT <session> Content-Range: bytes */total, no body (status query)
//     -> 308 with Range (none when nothing arrived) or 200 with the resource
//   an expired session -> 404
// Strict where Drive may be lenient: a chunk must start exactly where the
// persisted bytes end, so a client that re-sends bytes fails the test.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DriveStore, FakeDriveFile, UploadSession } from "./DriveStore.ts";
import { readJson, sendDriveError, sendJson } from "./http.ts";

export const chunkQuantum = 256 * 1024;

export interface UploadRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  origin: string;
  account: string;
  store: DriveStore;
  /** Set by a wrongMd5 fault: the completing answer reports this md5. */
  md5Override?: () => string | undefined;
}

export type ContentRange =
  { kind: "status"; total?: number } | { kind: "chunk"; start: number; end: number; total?: number };

export function parseContentRange(header: string | undefined): ContentRange | undefined {
  const status = /^bytes \*\/(\d+|\*)$/.exec(header ?? "");
  if (status) return { kind: "status", total: status[1] === "*" ? undefined : Number(status[1]) };
  const chunk = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header ?? "");
  if (chunk)
    return {
      kind: "chunk",
      start: Number(chunk[1]),
      end: Number(chunk[2]),
      total: chunk[3] === "*" ? undefined : Number(chunk[3]),
    };
  return undefined;
}

export async function startUpload({ req, res, origin, account, store }: UploadRequest): Promise<void> {
  const metadata = (await readJson(req)) as UploadSession["metadata"];
  const missing = store.missingParent(account, metadata.parents);
  if (missing) return sendDriveError(res, 404, "notFound", `File not found: ${missing}.`);
  const declared = req.headers["x-upload-content-length"];
  const session = store.startSession(account, metadata, declared === undefined ? undefined : Number(declared));
  res.writeHead(200, {
    location: `${origin}/upload/drive/v3/files?uploadType=resumable&upload_id=${session.id}`,
    "content-length": 0,
  });
  res.end();
}

/** The session of a PUT, or a 404 answered (unknown, expired, or another account's). */
export function sessionOf({ url, res, account, store }: UploadRequest): UploadSession | undefined {
  const session = store.sessions.get(url.searchParams.get("upload_id") ?? "");
  if (!session || session.expired || session.account !== account) {
    sendDriveError(res, 404, "notFound", "The upload session does not exist or has expired.");
    return undefined;
  }
  return session;
}

function answerProgress(request: UploadRequest, session: UploadSession): void {
  if (session.total !== undefined && session.receivedBytes === session.total && session.fileId === undefined) {
    request.store.completeSession(session);
  }
  if (session.fileId !== undefined) {
    const file = request.store.files.get(session.fileId) as FakeDriveFile;
    return sendJson(request.res, 200, request.store.resource(file, request.md5Override?.()));
  }
  const range = session.receivedBytes > 0 ? { range: `bytes=0-${session.receivedBytes - 1}` } : {};
  request.res.writeHead(308, { ...range, "content-length": 0 });
  request.res.end();
}

export function uploadStatus(
  request: UploadRequest,
  session: UploadSession,
  range: ContentRange & { kind: "status" },
): void {
  if (range.total !== undefined) session.total = range.total;
  answerProgress(request, session);
}

/** Appends a chunk's bytes; with `dropAfterBytes`, keeps what Drive would have persisted of a cut chunk (whole 256 KiB units) and cuts the connection. */
export async function uploadChunk(
  request: UploadRequest,
  session: UploadSession,
  range: ContentRange & { kind: "chunk" },
  dropAfterBytes?: number,
): Promise<{ bodyBytes: number; dropped: boolean }> {
  const { req, res } = request;
  const length = range.end - range.start + 1;
  const body = await readBodyUpTo(req, dropAfterBytes);
  const bodyBytes = body.length;
  if (dropAfterBytes !== undefined) {
    const arrived = Math.min(dropAfterBytes, body.length);
    if (range.start === session.receivedBytes) {
      const persistedEnd = Math.floor((range.start + arrived) / chunkQuantum) * chunkQuantum;
      const complete = range.total !== undefined && range.start + arrived === range.total;
      const kept = complete ? arrived : Math.max(0, persistedEnd - range.start);
      append(session, body.subarray(0, kept), range.total);
      if (session.total !== undefined && session.receivedBytes === session.total)
        request.store.completeSession(session);
    }
    req.socket.destroy();
    return { bodyBytes: arrived, dropped: true };
  }
  if (range.start !== session.receivedBytes) {
    sendDriveError(
      res,
      400,
      "badContentRange",
      `chunk starts at ${range.start}, but ${session.receivedBytes} bytes were persisted`,
    );
  } else if (body.length !== length) {
    sendDriveError(res, 400, "badContentRange", `Content-Range names ${length} bytes, the body has ${body.length}`);
  } else if ((range.total === undefined || range.end + 1 < range.total) && length % chunkQuantum !== 0) {
    sendDriveError(
      res,
      400,
      "badContentRange",
      `a chunk other than the last must be a multiple of 256 KiB, not ${length} bytes`,
    );
  } else {
    append(session, body, range.total);
    answerProgress(request, session);
  }
  return { bodyBytes, dropped: false };
}

/** The body, or its first `limit` bytes (the rest is left unread: the connection is about to be cut). */
function readBodyUpTo(req: IncomingMessage, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (piece: Buffer) => {
      chunks.push(piece);
      size += piece.length;
      if (size >= limit) {
        req.off("data", onData);
        req.pause();
        resolve(Buffer.concat(chunks).subarray(0, limit));
      }
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function append(session: UploadSession, bytes: Buffer, total: number | undefined): void {
  session.received.push(Buffer.from(bytes));
  session.receivedBytes += bytes.length;
  if (total !== undefined) session.total = total;
}
