// CORS (SMSYNC_CORS_ORIGINS) on the three planes, over real HTTP: the
// preflight a browser sends before a request with Authorization, and the
// headers of the actual answer that let the page read it. An origin not in
// the list gets no Access-Control-Allow-Origin, so the browser hides the answer.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { startTestServer, type TestServer, tusUpload } from "@smsync/testkit";

const app = "http://app.example:8080";
const stranger = "http://evil.example";

function preflight(url: string, origin: string, method: string, headers: string) {
  return fetch(url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

function listed(header: string | null): string[] {
  return (header ?? "").split(",").map((name) => name.trim().toLowerCase());
}

describe("SMSYNC_CORS_ORIGINS", () => {
  it("is * by default, and takes a list of origins", () => {
    expect(loadConfig({}).corsOrigins).toBe("*");
    expect(loadConfig({ SMSYNC_CORS_ORIGINS: `${app}, https://b.example` }).corsOrigins).toEqual([
      app,
      "https://b.example",
    ]);
    expect(() => loadConfig({ SMSYNC_CORS_ORIGINS: "app.example/path" })).toThrow(/SMSYNC_CORS_ORIGINS/);
  });
});

describe("CORS with a list of origins", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ SMSYNC_CORS_ORIGINS: app });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("/graphql: the preflight allows Authorization, the answer names the origin; a stranger gets neither", async () => {
    const allowed = await preflight(`${server.url}/graphql`, app, "POST", "authorization, content-type");
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(app);
    expect(listed(allowed.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining(["authorization", "content-type"]),
    );
    expect(listed(allowed.headers.get("access-control-allow-methods"))).toContain("post");
    expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();

    const device = await server.newUser();
    const answer = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { origin: app, authorization: `Bearer ${device.token}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ serverInfo { version } }" }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe(app);
    expect(((await answer.json()) as { data: { serverInfo: { version: string } } }).data.serverInfo.version).toMatch(
      /\d/,
    );

    const refused = await preflight(`${server.url}/graphql`, stranger, "POST", "authorization");
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("/uploads: tus's preflight allows its headers; creation and resume answers expose Location and Upload-Offset", async () => {
    const allowed = await preflight(
      `${server.url}/uploads`,
      app,
      "POST",
      "authorization, tus-resumable, upload-length, upload-metadata",
    );
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(app);
    expect(listed(allowed.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining(["authorization", "tus-resumable", "upload-length", "upload-metadata", "upload-offset"]),
    );
    expect(listed(allowed.headers.get("access-control-allow-methods"))).toEqual(
      expect.arrayContaining(["post", "patch", "head"]),
    );

    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const { url: location } = await tusUpload(server.url, device.token!, {
      version: 0,
      content: randomBytes(1000),
      fencingToken,
    });
    const head = await fetch(location, {
      method: "HEAD",
      headers: { origin: app, authorization: `Bearer ${device.token}`, "tus-resumable": "1.0.0" },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe("1000");
    expect(head.headers.get("access-control-allow-origin")).toBe(app);
    expect(listed(head.headers.get("access-control-expose-headers"))).toEqual(
      expect.arrayContaining(["location", "upload-offset", "upload-length", "tus-resumable"]),
    );

    const refused = await fetch(location, {
      method: "HEAD",
      headers: { origin: stranger, authorization: `Bearer ${device.token}`, "tus-resumable": "1.0.0" },
    });
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("/downloads: the preflight allows Range and If-Range; answers expose Content-Range and X-Smsync-Sha256", async () => {
    const url = `${server.url}/downloads/${randomUUID()}/0`;
    const allowed = await preflight(url, app, "GET", "authorization, range, if-range");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(app);
    expect(listed(allowed.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining(["authorization", "range", "if-range"]),
    );
    expect(listed(allowed.headers.get("access-control-allow-methods"))).toContain("get");

    // An error answer is readable too (the client reads its JSON code).
    const device = await server.newUser();
    const missing = await fetch(url, {
      headers: { origin: app, authorization: `Bearer ${device.token}`, range: "bytes=10-" },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(app);
    expect(listed(missing.headers.get("access-control-expose-headers"))).toEqual(
      expect.arrayContaining(["content-range", "x-smsync-sha256", "etag", "content-length"]),
    );
    expect(((await missing.json()) as { code: string }).code).toBe("NOT_FOUND");

    const refused = await preflight(url, stranger, "GET", "authorization, range");
    expect(refused.status).toBe(204);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS by default (*)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("allows any origin on every plane, without credentials", async () => {
    for (const [url, method] of [
      [`${server.url}/graphql`, "POST"],
      [`${server.url}/uploads`, "POST"],
      [`${server.url}/downloads/${randomUUID()}/0`, "GET"],
    ] as const) {
      const answer = await preflight(url, stranger, method, "authorization");
      expect([stranger, "*"], url).toContain(answer.headers.get("access-control-allow-origin"));
      expect(answer.headers.get("access-control-allow-credentials"), url).toBeNull();
    }
  });
});
