// Small HTTP helpers shared by the fake Drive's handlers.
import type { IncomingMessage, ServerResponse } from "node:http";

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Drive's error body: { error: { code, message, errors: [{ domain, reason, message }] } }. */
export function sendDriveError(
  res: ServerResponse,
  status: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const domain = status === 403 || status === 429 ? "usageLimits" : "global";
  sendJson(res, status, { error: { code: status, message, errors: [{ domain, reason, message }] } }, headers);
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  return body.length > 0 ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
}
