// The byte plane for downloads: GET /downloads/<fileUUID>/<version> of a
// file staged by an inbound transfer, with Range, for its owner only. The
// response names the content's sha256 (Repr-Digest and X-Smsync-Sha256), so
// the client can verify what it saved.
import type { ReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import send from "send";
import { authenticateRequest } from "../auth/requestCaller.ts";
import { plainRouteCors } from "../http/cors.ts";
import type { Services } from "../services.ts";

/** Bytes the file of a download is read by at a time. */
const downloadReadBytes = 1024 * 1024;
export const downloadsPath = "/downloads";
const routePattern = /^\/downloads\/([0-9a-fA-F-]{36})\/(\d{1,9})$/;

function answer(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ code, message }));
}

/** Headers that describe the file: sent with the file only, never with an error. */
const fileHeaders = [
  "Repr-Digest",
  "X-Smsync-Sha256",
  "ETag",
  "Content-Type",
  "Content-Length",
  "Accept-Ranges",
  "Last-Modified",
];

export async function handleDownload(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (plainRouteCors(services.config, req, res)) return; // a preflight, answered
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return answer(res, 405, "BAD_INPUT", "downloads are read with GET");
  }
  const caller = await authenticateRequest(services, req.headers.authorization);
  if (!caller)
    return answer(res, 401, "UNAUTHENTICATED", "a valid device token is required (Authorization: Bearer ...)");
  const [, uuidText, versionText] = routePattern.exec(new URL(req.url ?? "", "http://localhost").pathname) ?? [];
  if (uuidText === undefined || versionText === undefined)
    return answer(res, 404, "NOT_FOUND", "download URLs have the form /downloads/<fileUUID>/<version>");
  const fileUUID = uuidText.toLowerCase();
  const version = Number(versionText);
  // Another user's file answers exactly like a missing one.
  const staged = await services.db.inboundStagedFile.findUnique({
    where: { userId_fileUUID_version: { userId: caller.userId, fileUUID, version } },
  });
  if (!staged) {
    return answer(
      res,
      404,
      "NOT_FOUND",
      `version ${version} of file ${fileUUID} is not staged: start an inbound transfer first`,
    );
  }
  // send() takes a URL path under its root and decodes it: each segment is
  // encoded, so a staging directory with % or # in its path still works.
  const { inboundDir } = services.staging;
  const file = services.staging.inboundPath(caller.userId, fileUUID, version);
  const urlPath = "/" + path.relative(inboundDir, file).split(path.sep).map(encodeURIComponent).join("/");
  res.setHeader("Cache-Control", "private, no-store");
  await new Promise<void>((resolve) => {
    send(req, urlPath, {
      root: inboundDir,
      etag: false,
      lastModified: false,
      index: false,
      dotfiles: "allow",
      // send passes its options on to fs.createReadStream: a megabyte a read rather than 64 KiB, for each read
      // is a round trip to the thread pool (a large file's download was held to them).
      highWaterMark: downloadReadBytes,
    } as send.SendOptions)
      .on("headers", (response: ServerResponse) => {
        response.setHeader("Content-Type", "application/octet-stream");
        response.setHeader("ETag", `"${staged.sha256}"`);
        response.setHeader("Repr-Digest", `sha-256=:${Buffer.from(staged.sha256, "hex").toString("base64")}:`);
        response.setHeader("X-Smsync-Sha256", staged.sha256);
      })
      .on("error", (error: Error & { status?: number; headers?: Record<string, string> }) => {
        resolve();
        // A failure while the file is streaming can only cut the response.
        if (res.headersSent) return void res.destroy();
        for (const name of fileHeaders) res.removeHeader(name);
        const status = error.status ?? 500;
        if (status === 404)
          return answer(
            res,
            404,
            "NOT_FOUND",
            `version ${version} of file ${fileUUID} is not staged: start an inbound transfer first`,
          );
        if (status === 416) {
          for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
          return answer(res, 416, "BAD_INPUT", "the range is outside the file");
        }
        if (status < 500) return answer(res, status, "BAD_INPUT", "the request cannot be answered with the file");
        services.logger.error(
          { err: error, fileUUID, version, userId: caller.userId },
          "reading a staged download failed",
        );
        answer(res, 500, "INTERNAL", "the staged file could not be read");
      })
      .on("end", () => resolve())
      .on("stream", (stream: ReadStream) => stream.on("close", () => resolve()))
      .pipe(res);
    res.on("close", () => resolve());
  });
}
