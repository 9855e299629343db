// Without SMSYNC_PUBLIC_URL (development), the server's own URLs come from
// the request's Host (http/publicBaseUrl.ts): a plain host[:port] is used, so
// `npm start` works at the name a person reaches it by. A Host with a path,
// a scheme, spaces or a bad port is refused with 400 (RFC 9112, 3.2), never
// reflected into serverInfo or a tus Location; over a WebSocket, whose
// upgrade no route sees, the address the connection arrived at stands in.
import { randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import type { FormattedExecutionResult } from "graphql";
import { createClient } from "graphql-ws";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { encodeMetadata, uploadMetadata, useTestServer } from "@smsync/testkit";

const server = useTestServer();

const forgedHosts = [
  "evil.example/x",
  "evil.example:80/path?q",
  "http://evil.example",
  "evil.example evil",
  "evil.example:99999",
  "user@evil.example",
];

/** An HTTP request with a Host of our choosing (fetch sets its own). */
function withHost(
  host: string,
  method: string,
  pathname: string,
  headers: Record<string, string>,
  body = "",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path: pathname, headers: { ...headers, host } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.once("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.once("error", reject);
    req.end(body);
  });
}

const serverInfoQuery =
  "{ serverInfo { tusEndpoint uploadBatchUrl downloadBatchUrl downloadUrlPattern graphqlWebSocketUrl } }";

function serverInfoOverHttp(host: string) {
  return withHost(
    host,
    "POST",
    "/graphql",
    { "content-type": "application/json" },
    JSON.stringify({ query: serverInfoQuery }),
  );
}

async function serverInfoUrls(host: string): Promise<string[]> {
  const answer = await serverInfoOverHttp(host);
  expect(answer.status, answer.body).toBe(200);
  return Object.values((JSON.parse(answer.body) as { data: { serverInfo: Record<string, string> } }).data.serverInfo);
}

/** serverInfo over graphql-ws, the upgrade request sent with `host`. */
async function serverInfoUrlsOverWebSocket(host: string): Promise<string[]> {
  // The socket needs a device's token at connection_init (docs/protocol.md, "WebSocket connections").
  const { token } = await server.newUser();
  const client = createClient({
    url: `${server.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols: string | string[]) {
        super(url, protocols, { headers: { host } });
      }
    },
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  try {
    const result: IteratorResult<FormattedExecutionResult<{ serverInfo: Record<string, string> }, unknown>> =
      await client.iterate<{ serverInfo: Record<string, string> }>({ query: serverInfoQuery }).next();
    if (result.done || !result.value.data) throw new Error(`no serverInfo: ${JSON.stringify(result.value)}`);
    return Object.values(result.value.data.serverInfo);
  } finally {
    await client.dispose();
  }
}

describe("a forged Host in development", () => {
  it.each(forgedHosts)("%j is refused with 400, not reflected", async (host) => {
    const answer = await serverInfoOverHttp(host);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "BAD_INPUT" });
    expect(answer.body).not.toMatch(/evil/);
  });

  it("is refused at a tus creation, with no Location", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(100);
    const staged = await server.app.services.db.stagedUpload.count();
    const answer = await withHost("evil.example/x", "POST", "/uploads", {
      "Tus-Resumable": "1.0.0",
      authorization: `Bearer ${device.token}`,
      "Upload-Length": String(content.length),
      "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.location).toBeUndefined();
    expect(await server.app.services.db.stagedUpload.count()).toBe(staged);
  });

  it("over a WebSocket gives way to the address the connection arrived at", async () => {
    const listening = new URL(server.url).host;
    for (const url of await serverInfoUrlsOverWebSocket("evil.example/x")) {
      expect(url).not.toMatch(/evil/);
      expect(new URL(url).host).toBe(listening);
    }
  });
});

describe("a plain Host in development", () => {
  it("names the server's URLs, as a person reached it", async () => {
    const { port } = new URL(server.url);
    for (const url of await serverInfoUrls(`localhost:${port}`)) expect(new URL(url).host).toBe(`localhost:${port}`);
  });

  it("names a tus Location, at creation and at a repeated creation", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(100);
    const { port } = new URL(server.url);
    const headers = {
      "Tus-Resumable": "1.0.0",
      authorization: `Bearer ${device.token}`,
      "Upload-Length": String(content.length),
      "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
    };
    const created = await withHost(`localhost:${port}`, "POST", "/uploads", headers);
    const repeated = await withHost(`localhost:${port}`, "POST", "/uploads", headers);
    for (const answer of [created, repeated]) {
      expect(answer.status, answer.body).toBe(201);
      expect(answer.headers.location).toMatch(new RegExp(`^http://localhost:${port}/uploads/[^/]+$`));
    }
    expect(repeated.headers.location).toBe(created.headers.location);
  });
});
