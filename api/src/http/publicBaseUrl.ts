// The base of the URLs this server gives out about itself (serverInfo, tus
// Location, download URLs, the WebSocket URL): SMSYNC_PUBLIC_URL when set,
// which production requires. Without it (development), the request's Host,
// so that `npm start` works at whatever name a person reaches it by; but only
// a plain host[:port]. A Host with a scheme, a path, spaces or other junk
// would put a forged URL into an answer: routes.ts refuses such a request
// (400), and where a request comes without a usable Host (HTTP/1.0, a
// WebSocket upgrade) the address the connection arrived at stands in. A
// well-formed forged Host is still reflected: a server that others reach
// sets SMSYNC_PUBLIC_URL (docs/deploy.md).
import type { IncomingMessage } from "node:http";

// Labels of letters, digits, "-" and "_" (Docker service names have them), or an IPv6 address in brackets.
const hostAndPort = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** Whether a Host header is a bare host[:port], nothing else. */
export function isHostAndPort(value: string): boolean {
  const match = hostAndPort.exec(value);
  return match !== null && value.length <= 255 && (match[1] === undefined || Number(match[1]) <= 65535);
}

/** scheme://host[:port] of the server's own URLs for this request; the server speaks plain HTTP itself. */
export function publicBaseUrl(publicUrl: string | undefined, req: Pick<IncomingMessage, "headers" | "socket">): string {
  if (publicUrl) return publicUrl;
  const host = req.headers.host;
  if (host !== undefined && isHostAndPort(host)) return `http://${host}`;
  const { localAddress = "127.0.0.1", localPort } = req.socket;
  return `http://${localAddress.includes(":") ? `[${localAddress}]` : localAddress}:${localPort}`;
}
