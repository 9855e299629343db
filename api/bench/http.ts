// Plain node:http requests with a streamed body, for the raw tus client and
// the baseline upload. One keep-alive agent, so chunked uploads reuse their
// connection as any real client would.
import http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpRequest(
  url: string,
  options: { method: string; headers?: http.OutgoingHttpHeaders },
  body?: Readable | Buffer,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    const req = http.request(url, { method: options.method, headers: options.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", fail);
    if (body instanceof Readable) {
      // A server that answers early (an error) ends the request: the response wins.
      pipeline(body, req).catch((error: unknown) =>
        setTimeout(() => fail(error instanceof Error ? error : new Error(String(error))), 100),
      );
    } else {
      req.end(body);
    }
  });
}

export class HttpError extends Error {
  override name = "HttpError";
  constructor(what: string, result: HttpResult) {
    super(`${what}: HTTP ${result.status} ${result.body.slice(0, 500)}`);
  }
}
