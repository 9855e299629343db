// Downloads by HTTP GET of files staged by an inbound transfer: for their
// owner only (another user gets the answer of a missing file), with Range,
// and with the content's sha256 in X-Smsync-Sha256 and Repr-Digest.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  downloadUrlOf,
  errorBodyOf,
  refusedWithoutWrites,
  sha256Hex,
  startTestServer,
  type TestGraphQLClient,
  type TestServer,
  tusUpload,
} from "@smsync/testkit";

/** Uploads and commits a file from one device, stages it by an inbound transfer for another; returns its download URL. */
async function stagedDownload(server: TestServer, content: Buffer) {
  const phone = await server.newUser();
  const laptop = await server.newDevice(phone.userName);
  const { fencingToken } = await phone.lock();
  const { fileUUID } = await tusUpload(server.url, phone.token!, { version: 0, content, fencingToken });
  expect((await phone.waitForOperation((await phone.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
  const laptopLock = await laptop.lock();
  const inbound = await laptop.waitForOperation(
    (await laptop.startInboundTransfer(laptopLock.fencingToken, [{ fileUUID, version: 0 }])).id,
  );
  expect(inbound.state).toBe("SUCCEEDED");
  const url = downloadUrlOf(inbound);
  expect(url).toBe(`${server.url}/downloads/${fileUUID}/0`);
  return { phone, laptop, fileUUID, url };
}

function get(url: string, token: string | null, headers: Record<string, string> = {}, method = "GET") {
  return fetch(url, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

describe("downloads", () => {
  let server: TestServer;
  const content = randomBytes(100_000);
  let laptop: TestGraphQLClient;
  let phone: TestGraphQLClient & { userName: string };
  let fileUUID: string;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ laptop, phone, fileUUID, url } = await stagedDownload(server, content));
  });
  afterAll(async () => {
    await server?.close();
  });
  const refused = <T>(call: () => Promise<T>) => refusedWithoutWrites(server.app.services.db, call);

  it("serves the whole file with its sha256 in X-Smsync-Sha256 and Repr-Digest", async () => {
    const response = await get(url, laptop.token);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(content.length));
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("x-smsync-sha256")).toBe(sha256Hex(content));
    const digest = createHash("sha256").update(content).digest("base64");
    expect(response.headers.get("repr-digest")).toBe(`sha-256=:${digest}:`);
    expect((await bytesOf(response)).equals(content)).toBe(true);
  });

  it("serves the same file to every device of the owner", async () => {
    const response = await get(url, phone.token);
    expect(response.status).toBe(200);
    expect((await bytesOf(response)).equals(content)).toBe(true);
  });

  it("answers HEAD with the headers and no body", async () => {
    const response = await get(url, laptop.token, {}, "HEAD");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(content.length));
    expect(response.headers.get("x-smsync-sha256")).toBe(sha256Hex(content));
    expect((await bytesOf(response)).length).toBe(0);
  });

  it("serves a byte range with 206, and the digest of the whole representation", async () => {
    const response = await get(url, laptop.token, { range: "bytes=1000-1999" });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 1000-1999/${content.length}`);
    expect(response.headers.get("content-length")).toBe("1000");
    // Repr-Digest is of the representation (the whole file), not of the part sent.
    expect(response.headers.get("x-smsync-sha256")).toBe(sha256Hex(content));
    expect(response.headers.get("repr-digest")).toBe(
      `sha-256=:${createHash("sha256").update(content).digest("base64")}:`,
    );
    expect((await bytesOf(response)).equals(content.subarray(1000, 2000))).toBe(true);
  });

  it("serves a suffix range and an open-ended range", async () => {
    const suffix = await get(url, laptop.token, { range: "bytes=-500" });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get("content-range")).toBe(
      `bytes ${content.length - 500}-${content.length - 1}/${content.length}`,
    );
    expect((await bytesOf(suffix)).equals(content.subarray(content.length - 500))).toBe(true);

    const open = await get(url, laptop.token, { range: "bytes=99000-" });
    expect(open.status).toBe(206);
    expect((await bytesOf(open)).equals(content.subarray(99_000))).toBe(true);
  });

  it("names the content by its sha256 in ETag, for conditional and If-Range requests", async () => {
    const etag = `"${sha256Hex(content)}"`;
    // Through node:http: fetch() adds Cache-Control: no-cache to conditional requests, which forbids a 304.
    const unchanged = await new Promise<number>((resolve, reject) => {
      http
        .get(url, { headers: { authorization: `Bearer ${laptop.token}`, "if-none-match": etag } }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        })
        .on("error", reject);
    });
    expect(unchanged).toBe(304);
    const ranged = await get(url, laptop.token, { range: "bytes=0-9", "if-range": etag });
    expect(ranged.status).toBe(206);
    // Another content than the client's partial copy: the whole file, not a range of it.
    const stale = await get(url, laptop.token, { range: "bytes=0-9", "if-range": `"${"0".repeat(64)}"` });
    expect(stale.status).toBe(200);
    expect((await bytesOf(stale)).equals(content)).toBe(true);
  });

  it("answers 416 to a range past the end", async () => {
    const response = await refused(() => get(url, laptop.token, { range: `bytes=${content.length}-` }));
    expect(response.status).toBe(416);
    expect(response.headers.get("content-range")).toBe(`bytes */${content.length}`);
  });

  it("answers another user with the 404 of a missing file, without the file's digest", async () => {
    const stranger = await server.newUser();
    const theirs = await refused(() => get(url, stranger.token));
    const missing = await refused(() => get(`${server.url}/downloads/${fileUUID}/1`, laptop.token));
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.headers.get("x-smsync-sha256")).toBeNull();
    expect(theirs.headers.get("repr-digest")).toBeNull();
    const theirBody = await errorBodyOf(theirs);
    const missingBody = await errorBodyOf(missing);
    expect(theirBody.code).toBe("NOT_FOUND");
    // Same answer, the version in the message aside.
    expect(theirBody.message).toBe(missingBody.message.replace(`version 1 `, `version 0 `));
    expect(Object.keys(theirBody).sort()).toEqual(Object.keys(missingBody).sort());
    // And with a Range, still nothing.
    expect((await refused(() => get(url, stranger.token, { range: "bytes=0-9" }))).status).toBe(404);
  });

  it("answers 401 without a token or with an unknown one", async () => {
    for (const token of [null, "smsync_unknown"]) {
      const response = await refused(() => get(url, token));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: "UNAUTHENTICATED" });
    }
  });

  it("answers 404 NOT_FOUND for a committed file that was not staged for download", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const committed = await tusUpload(server.url, device.token!, {
      version: 0,
      content: Buffer.from("x"),
      fencingToken,
    });
    expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
    const response = await refused(() => get(`${server.url}/downloads/${committed.fileUUID}/0`, device.token));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers 404 NOT_FOUND for malformed download URLs", async () => {
    for (const suffix of [
      "",
      "not-a-uuid/0",
      `${fileUUID}`,
      `${fileUUID}/x`,
      `${fileUUID}/0/extra`,
      `..%2F..%2Fetc/0`,
    ]) {
      const response = await refused(() => get(`${server.url}/downloads/${suffix}`, laptop.token));
      expect(response.status, suffix).toBe(404);
      expect(await response.json()).toMatchObject({ code: "NOT_FOUND" });
    }
  });

  it("answers 405 to other methods", async () => {
    const response = await refused(() => get(url, laptop.token, {}, "DELETE"));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 404 NOT_FOUND, without a digest, when the staged file itself is gone", async () => {
    const gone = await stagedDownload(server, randomBytes(1000));
    const userId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: gone.phone.userName } })).id;
    await rm(server.app.services.staging.inboundPath(userId, gone.fileUUID, 0));
    const response = await refused(() => get(gone.url, gone.laptop.token));
    expect(response.status).toBe(404);
    expect(response.headers.get("x-smsync-sha256")).toBeNull();
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("downloads from a staging directory whose path needs URL escaping", () => {
  // send() takes a URL path; a filesystem path with % or # in it must still be found.
  let server: TestServer;
  let stagingParent: string;
  beforeAll(async () => {
    stagingParent = mkdtempSync(path.join(tmpdir(), "smsync-staging-"));
    server = await startTestServer({ SMSYNC_STAGING_DIR: path.join(stagingParent, "100%25 #1 staging") });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(stagingParent, { recursive: true, force: true });
  });

  it("serves the file", async () => {
    const content = randomBytes(5000);
    const { laptop, url } = await stagedDownload(server, content);
    const response = await get(url, laptop.token);
    expect(response.status).toBe(200);
    expect((await bytesOf(response)).equals(content)).toBe(true);
  });
});
