// A plain HTTP(S) request with a body held in memory (one upload chunk at
// most), for the resumable upload protocol, which googleapis does not expose.
// node:http rather than fetch: 308 is Drive's "Resume Incomplete" here, not a
// redirect to follow.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Idle time after which a request counts as dropped. */
const socketTimeoutMs = 60_000;

export function rawRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<RawAnswer> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method, headers: { ...headers, "content-length": String(body?.length ?? 0) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(socketTimeoutMs, () =>
      req.destroy(new Error(`no answer from ${target.host} in ${socketTimeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end(body);
  });
}

export function jsonOf(answer: RawAnswer): unknown {
  try {
    return JSON.parse(answer.body.toString("utf8")) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // not JSON (an HTML error page, an empty body)
    throw error;
  }
}

export function headerOfAnswer(answer: RawAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
