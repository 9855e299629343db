// A TCP proxy on 127.0.0.1 for "network cut" tests: it forwards every
// connection to a target port and, on command, drops connections: all of
// them now, or the one that carries the Nth byte after a cut is armed (towards
// the server: mid-request; towards the client: mid-response, or with
// afterBytes 0 as soon as the server starts answering, i.e. after the server
// acted but before the client heard of it). It can also refuse new
// connections (the server looks down), stall all traffic for a while (the
// client process looks stopped, as by SIGSTOP: bytes wait, nothing is lost)
// and count the bytes it carried.
//
//   const proxy = await startCuttingProxy(serverPort);
//   proxy.cutAfter({ direction: "up", afterBytes: 1_000_000 });   // mid-upload
//   proxy.cutAfter({ direction: "down", afterBytes: 0 });         // response lost
//   await proxy.stall(4000);                                      // frozen 4 s
//   proxy.cutAll(); proxy.refuse(true); await proxy.close();
import net from "node:net";
import type { AddressInfo } from "node:net";

export type Direction = "up" | "down";

export interface CutRule {
  /** "up": bytes from the client towards the server; "down": bytes from the server towards the client. */
  direction: Direction;
  /**
   * Bytes in that direction, counted from when the rule is armed over all
   * connections, that still pass; the connection carrying the next byte is
   * cut, with exactly these bytes delivered. 0 cuts at the next byte.
   */
  afterBytes: number;
  /** How many cuts before the rule disarms itself (default 1). Infinity keeps it armed. */
  times?: number;
  /**
   * Only count and cut bytes of requests (up) or of their responses (down)
   * whose request line (e.g. "PATCH /uploads/abc HTTP/1.1") matches. The
   * proxy takes a chunk towards the server that begins like a request line as
   * the start of a new request on that connection (no pipelining assumed).
   */
  match?: RegExp;
  /**
   * Only requests whose text so far (head, then body, up to its first
   * 64 KiB) matches, e.g. /"operationName":"Commit"/ to single out one
   * GraphQL operation among the POSTs to /graphql. Towards the server, bytes
   * are counted from the chunk that makes the text match (often the body's
   * first, after the head was let through).
   */
  body?: RegExp;
}

export interface ProxyStats {
  /** Connections accepted (refused ones included). */
  connections: number;
  /** When each of them was accepted (Date.now()), in order: how often a client tries. */
  connectedAt: number[];
  /** Connections cut by a rule or cutAll. */
  cuts: number;
  /** Bytes forwarded towards the server and towards the client. */
  bytesUp: number;
  bytesDown: number;
  /** Request lines seen towards the server, in order (e.g. "PATCH /uploads/abc HTTP/1.1"). */
  requests: string[];
}

export interface CuttingProxy {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly stats: ProxyStats;
  /** Arms a cut; replaces a rule armed before for the same direction. Returns a promise of the cut. */
  cutAfter(rule: CutRule): Promise<void>;
  /** Disarms the rules. */
  disarm(): void;
  /** Drops every open connection now (both sides destroyed). */
  cutAll(): void;
  /** While true, new connections are accepted and closed at once (as if the server were down). */
  refuse(on: boolean): void;
  /**
   * Holds every byte both ways, on open and new connections, for `ms` (a
   * stall armed while one runs ends at the later of the two), then lets them
   * through in order: resolves then. The sockets stop reading, so the bytes
   * wait in the sockets' buffers and TCP's windows.
   */
  stall(ms: number): Promise<void>;
  /** Rewrites the bytes it forwards (e.g. flips a byte to corrupt a body); return the chunk to forward. */
  transform: ((direction: Direction, chunk: Buffer) => Buffer) | null;
  /** Resets the counters. */
  resetStats(): void;
  close(): Promise<void>;
}

interface ArmedRule extends Required<Omit<CutRule, "match" | "body">> {
  match?: RegExp;
  body?: RegExp;
  remaining: number;
  fired: () => void;
}

interface Connection {
  client: net.Socket;
  upstream: net.Socket;
  /** The request line of the request the connection carries now. */
  requestLine: string;
  /** The request's text so far (latin1), up to requestTextLimit characters, for body matches. */
  requestText: string;
  cutting: boolean;
  /** Sides paused until the other side drains (backpressure): a stall's end must not resume them. */
  waitingDrain: Set<net.Socket>;
}

const requestTextLimit = 64 * 1024;

export async function startCuttingProxy(targetPort: number | string, targetHost = "127.0.0.1"): Promise<CuttingProxy> {
  const connections = new Set<Connection>();
  const rules: Partial<Record<Direction, ArmedRule>> = {};
  let refusing = false;
  let stall:
    { until: number; timer: ReturnType<typeof setTimeout>; ended: Promise<void>; release: () => void } | undefined;

  const stats: ProxyStats = { connections: 0, connectedAt: [], cuts: 0, bytesUp: 0, bytesDown: 0, requests: [] };

  const destroy = (connection: Connection) => {
    connection.client.destroy();
    connection.upstream.destroy();
    connections.delete(connection);
  };

  /** Delivers `part` on `to`, then drops the connection. */
  const cut = (connection: Connection, to: net.Socket, part: Buffer) => {
    connection.cutting = true;
    stats.cuts++;
    connection.client.pause();
    connection.upstream.pause();
    if (part.length === 0) return destroy(connection);
    // Half-close after the bytes, so they reach the other side before the connection goes.
    to.end(part, () => setImmediate(() => destroy(connection)));
  };

  const applies = (rule: ArmedRule, connection: Connection) =>
    (!rule.match || rule.match.test(connection.requestLine)) && (!rule.body || rule.body.test(connection.requestText));

  const forward = (connection: Connection, direction: Direction, data: Buffer) => {
    if (connection.cutting) return;
    const to = direction === "up" ? connection.upstream : connection.client;
    const chunk = proxy.transform ? proxy.transform(direction, data) : data;
    const rule = rules[direction];
    if (rule && applies(rule, connection) && chunk.length > rule.remaining) {
      const part = chunk.subarray(0, rule.remaining);
      if (direction === "up") stats.bytesUp += part.length;
      else stats.bytesDown += part.length;
      rule.times--;
      if (rule.times <= 0) delete rules[direction];
      else rule.remaining = rule.afterBytes;
      cut(connection, to, part);
      rule.fired();
      return;
    }
    if (rule && applies(rule, connection)) rule.remaining -= chunk.length;
    if (direction === "up") stats.bytesUp += chunk.length;
    else stats.bytesDown += chunk.length;
    // Backpressure both ways, so a slow side slows the other instead of filling memory.
    if (!to.write(chunk)) {
      const from = direction === "up" ? connection.client : connection.upstream;
      from.pause();
      connection.waitingDrain.add(from);
      to.once("drain", () => {
        connection.waitingDrain.delete(from);
        if (!connection.cutting && !stall) from.resume();
      });
    }
  };

  const server = net.createServer((client) => {
    stats.connections++;
    stats.connectedAt.push(Date.now());
    if (refusing) {
      client.on("error", () => undefined);
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(targetPort), targetHost);
    const connection: Connection = {
      client,
      upstream,
      requestLine: "",
      requestText: "",
      cutting: false,
      waitingDrain: new Set(),
    };
    connections.add(connection);
    if (stall) {
      client.pause();
      upstream.pause();
    }
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (chunk: Buffer) => {
      const head = /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.exec(chunk.subarray(0, 8192).toString("latin1"));
      if (head) {
        connection.requestLine = head[0].trimEnd();
        connection.requestText = "";
        stats.requests.push(connection.requestLine);
      }
      if (connection.requestText.length < requestTextLimit) {
        connection.requestText += chunk
          .subarray(0, requestTextLimit - connection.requestText.length)
          .toString("latin1");
      }
      forward(connection, "up", chunk);
    });
    upstream.on("data", (chunk: Buffer) => forward(connection, "down", chunk));
    // A half-close from one side is passed on; a full close or an error ends both.
    client.on("end", () => {
      if (!connection.cutting) upstream.end();
    });
    upstream.on("end", () => {
      if (!connection.cutting) client.end();
    });
    client.on("close", () => destroy(connection));
    upstream.on("close", () => {
      if (!connection.cutting) destroy(connection);
    });
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const endStall = () => {
    if (!stall) return;
    const { timer, release } = stall;
    clearTimeout(timer);
    stall = undefined;
    for (const connection of connections) {
      for (const socket of [connection.client, connection.upstream])
        if (!connection.cutting && !connection.waitingDrain.has(socket)) socket.resume();
    }
    release();
  };

  const proxy: CuttingProxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    stats,
    transform: null,
    cutAfter(rule) {
      if (!Number.isInteger(rule.afterBytes) || rule.afterBytes < 0)
        throw new RangeError(`bad afterBytes ${rule.afterBytes}`);
      return new Promise<void>((resolve) => {
        rules[rule.direction] = {
          direction: rule.direction,
          afterBytes: rule.afterBytes,
          times: rule.times ?? 1,
          match: rule.match,
          body: rule.body,
          remaining: rule.afterBytes,
          fired: resolve,
        };
      });
    },
    disarm() {
      delete rules.up;
      delete rules.down;
    },
    cutAll() {
      for (const connection of [...connections]) {
        connection.cutting = true;
        stats.cuts++;
        destroy(connection);
      }
    },
    refuse(on) {
      refusing = on;
    },
    stall(ms) {
      const until = Date.now() + ms;
      if (stall) {
        if (until > stall.until) {
          clearTimeout(stall.timer);
          stall.until = until;
          stall.timer = setTimeout(endStall, ms);
        }
        return stall.ended;
      }
      for (const connection of connections) {
        connection.client.pause();
        connection.upstream.pause();
      }
      let release: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (release = resolve));
      stall = { until, ended, release, timer: setTimeout(endStall, ms) };
      return ended;
    },
    resetStats() {
      stats.connections = 0;
      stats.connectedAt = [];
      stats.cuts = 0;
      stats.bytesUp = 0;
      stats.bytesDown = 0;
      stats.requests = [];
    },
    close() {
      endStall();
      return new Promise<void>((resolve) => {
        for (const connection of [...connections]) destroy(connection);
        server.close(() => resolve());
      });
    },
  };
  return proxy;
}
