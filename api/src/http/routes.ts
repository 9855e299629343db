// One node:http server, three planes: GraphQL (HTTP, SSE and graphql-ws) at
// /graphql, tus uploads under /uploads, downloads under /downloads; and the
// batch paths of small files, /upload-batches (with /held, and /blocks for
// the deltas of changed files) and /download-batches. A byte-plane body that
// sends nothing for a while is cut (idleBodyCut.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { downloadBatchesPath, fileBlocksPath, heldUploadsPath, uploadBatchesPath } from "@smsync/protocol";
import { tokenOfAuthorization } from "../auth/deviceTokens.ts";
import { handleDownloadBatch } from "../batches/downloadBatchHandler.ts";
import { handleFileBlocks } from "../batches/fileDeltas.ts";
import { handleHeldUploads, handleUploadBatch } from "../batches/uploadBatchHandler.ts";
import { downloadsPath, handleDownload } from "../downloads/downloadHandler.ts";
import type { GraphQLServer } from "../graphql/yoga.ts";
import { isRefusal } from "../limits/RequestLimits.ts";
import { answerRefused } from "../limits/refusedRequest.ts";
import type { Services } from "../services.ts";
import { isHostAndPort } from "./publicBaseUrl.ts";
import { uploadsPath, type UploadPlane } from "../uploads/UploadPlane.ts";
import { cutBodyWhenIdle } from "./idleBodyCut.ts";

/** The byte plane's paths whose POST carries a body of files or a framed head. */
const batchPaths = new Set([uploadBatchesPath, heldUploadsPath, fileBlocksPath, downloadBatchesPath]);

/** Requests whose body the byte plane reads: tus's PATCH and creation, the batch paths' POST. */
function sendsBytesBody(pathname: string, method: string | undefined): boolean {
  if (pathname === uploadsPath || pathname.startsWith(`${uploadsPath}/`))
    return method === "PATCH" || method === "POST";
  return batchPaths.has(pathname) && method === "POST";
}

export function createRequestHandler(services: Services, yoga: GraphQLServer, uploads: UploadPlane) {
  const route = routeOf(services, yoga, uploads);
  // Every request passes the rate limits first (limits/RequestLimits.ts), before it is parsed.
  return (req: IncomingMessage, res: ServerResponse): void => {
    services.requestLimits.admit(req, tokenOfAuthorization(req.headers.authorization)).then(
      (admitted) => {
        if (isRefusal(admitted)) return answerRefused(services.config, req, res, admitted);
        res.once("close", admitted);
        route(req, res);
      },
      (error: unknown) => failed(services, req, res, error),
    );
  };
}

function routeOf(services: Services, yoga: GraphQLServer, uploads: UploadPlane) {
  const idleBodyMs = services.config.uploadIdleTimeoutSeconds * 1000;
  return (req: IncomingMessage, res: ServerResponse): void => {
    // RFC 9112 section 3.2: an invalid Host is answered 400. Passed on, it would be
    // reflected into URLs (publicBaseUrl.ts), or fail Yoga's URL parsing with a 500.
    const { host } = req.headers;
    if (host !== undefined && !isHostAndPort(host)) {
      res.writeHead(400, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          code: "BAD_INPUT",
          message: "the Host header must be a host name or address, with an optional port",
        }),
      );
      return;
    }
    const pathname = (req.url ?? "/").replace(/\?.*/s, "");
    if (sendsBytesBody(pathname, req.method)) cutBodyWhenIdle(req, idleBodyMs, services.logger);
    const route =
      pathname === uploadBatchesPath
        ? handleUploadBatch(services, req, res)
        : pathname === heldUploadsPath
          ? handleHeldUploads(services, req, res)
          : pathname === fileBlocksPath
            ? handleFileBlocks(services, req, res)
            : pathname === downloadBatchesPath
              ? handleDownloadBatch(services, req, res)
              : pathname === uploadsPath || pathname.startsWith(`${uploadsPath}/`)
                ? uploads.handle(req, res)
                : pathname.startsWith(`${downloadsPath}/`)
                  ? handleDownload(services, req, res)
                  : pathname === "/healthz"
                    ? Promise.resolve(void res.writeHead(200, { "Content-Type": "text/plain" }).end("ok\n"))
                    : Promise.resolve(yoga(req, res));
    route.catch((error: unknown) => failed(services, req, res, error));
  };
}

function failed(services: Services, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  services.logger.error({ err: error, method: req.method, url: req.url }, "request failed");
  if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ code: "INTERNAL", message: "internal server error" }));
}
