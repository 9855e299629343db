// The address a request comes from, for the per-address limits. Behind a
// reverse proxy every request's peer is the proxy: when the peer is one of
// the trusted proxies, the client is the last X-Forwarded-For hop that is not
// (hops a client wrote itself are further left, and never read).
import type { IncomingMessage } from "node:http";

export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normalized(req.socket.remoteAddress ?? "unknown");
  if (!trustedProxies.includes(peer)) return peer;
  const forwarded = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? ""))
    .split(",")
    .map((hop) => normalized(hop.trim()))
    .filter((hop) => hop.length > 0);
  for (let index = hops.length - 1; index >= 0; index--) {
    if (!trustedProxies.includes(hops[index]!)) return hops[index]!;
  }
  return peer;
}

/** An IPv4 peer of a dual-stack socket (::ffff:10.0.0.1) as plain IPv4. */
function normalized(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
