// downloadFile against a real server (through a proxy that cuts and counts):
// resume after a cut and after an abort from the partial file's size, with
// only the missing bytes sent again; partial files that cannot be resumed
// (other content, longer than the file) start over; sha256 mismatches end
// with an IntegrityError and no file left; the server's refusals are typed.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CuttingProxy, startCuttingProxy, startTestServer, type TestServer } from "@smsync/testkit";
import { IntegrityError, NetworkError, ServerError } from "../../src/errors.ts";
import { downloadFile, partialPathOf, type DownloadFileOptions } from "../../src/transfers/downloader.ts";
import { sha256Hex, stagedDownload } from "./helpers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const headerRoom = 16 * KiB;

let server: TestServer;
let proxy: CuttingProxy;
let dir: string;
// One staged file for most tests: 3 MiB and a bit.
const content = randomBytes(3 * MiB + 777);
let url: string;
let token: string;
let fileUUID: string;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startCuttingProxy(new URL(server.url).port);
  dir = mkdtempSync(path.join(tmpdir(), "smsync-downloader-"));
  ({ url, token, fileUUID } = await stagedDownload(server, content));
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  proxy.disarm();
  proxy.transform = null;
  proxy.resetStats();
});

let destinationCounter = 0;
/** A destination in a folder of its own, which exists (tests plant partial files there). */
function newDestination(): string {
  const folder = path.join(dir, `download-${++destinationCounter}`);
  mkdirSync(folder);
  return path.join(folder, "file.bin");
}

/** downloadFile of the staged file through the proxy. */
function download(destination: string, options: Partial<DownloadFileOptions> = {}) {
  return downloadFile({
    url: url.replace(server.url, proxy.url),
    token,
    destination,
    expectedSha256: sha256Hex(content),
    ...options,
  });
}

/** The bytes that went through the proxy towards the client (bodies and headers). */
function bodyBytesDown(): number {
  return proxy.stats.bytesDown;
}

describe("downloadFile", () => {
  it("downloads the whole file, verifies it and puts it in place, leaving no partial file", async () => {
    const destination = newDestination();
    const progress: [number, number | null][] = [];
    const result = await download(destination, { onProgress: (received, total) => progress.push([received, total]) });
    expect(result).toEqual({ path: destination, size: content.length, sha256: sha256Hex(content), resumedFrom: 0 });
    expect(readFileSync(destination).equals(content)).toBe(true);
    expect(existsSync(partialPathOf(destination))).toBe(false);
    expect(progress.at(-1)).toEqual([content.length, content.length]);
    expect(proxy.stats.requests).toEqual([expect.stringMatching(/^GET \/downloads\//)]);
  });

  it("resumes after a cut from the partial file's size, with Range: only the missing bytes come again", async () => {
    const destination = newDestination();
    const cut = proxy.cutAfter({ direction: "down", afterBytes: MiB });
    await expect(download(destination, { retryDelays: [] })).rejects.toBeInstanceOf(NetworkError);
    await cut;

    // The bytes before the cut are on disk (but those the HTTP client had buffered and not yet handed
    // over when the connection broke), and nothing is in place yet.
    const kept = statSync(partialPathOf(destination)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(MiB);
    expect(readFileSync(partialPathOf(destination)).equals(content.subarray(0, kept))).toBe(true);
    expect(existsSync(destination)).toBe(false);

    proxy.resetStats();
    const result = await download(destination, { retryDelays: [] });
    expect(result.resumedFrom).toBe(kept);
    expect(readFileSync(destination).equals(content)).toBe(true);
    expect(existsSync(partialPathOf(destination))).toBe(false);
    expect(bodyBytesDown()).toBeGreaterThanOrEqual(content.length - kept);
    expect(bodyBytesDown()).toBeLessThan(content.length - kept + headerRoom);
  });

  it("retries a cut by itself, resuming from what it wrote", async () => {
    const destination = newDestination();
    const cut = proxy.cutAfter({ direction: "down", afterBytes: 2 * MiB });
    const result = await download(destination, { retryDelays: [0] });
    await cut;
    expect(proxy.stats.cuts).toBe(1);
    expect(proxy.stats.requests).toHaveLength(2);
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.resumedFrom).toBeLessThanOrEqual(2 * MiB);
    expect(readFileSync(destination).equals(content)).toBe(true);
    // 2 MiB before the cut, then the rest from what was written: a restart from 0 would bring the
    // whole file after the 2 MiB.
    expect(bodyBytesDown()).toBeLessThan(content.length + (2 * MiB - result.resumedFrom) + headerRoom);
  });

  it("resumes after an abort (suspend), keeping the partial file", async () => {
    const destination = newDestination();
    const controller = new AbortController();
    const reason = new Error("suspended by the app");
    const aborted = download(destination, {
      signal: controller.signal,
      onProgress: (received) => {
        if (received >= MiB) controller.abort(reason);
      },
    });
    await expect(aborted).rejects.toBe(reason);
    const kept = statSync(partialPathOf(destination)).size;
    expect(kept).toBeGreaterThanOrEqual(MiB);
    expect(existsSync(destination)).toBe(false);

    const result = await download(destination);
    expect(result.resumedFrom).toBe(kept);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it("continues a partial file left by a killed process: the request asks for the rest only", async () => {
    const destination = newDestination();
    const kept = 1_234_567;
    writeFileSync(partialPathOf(destination), content.subarray(0, kept), { flag: "w" });
    const result = await download(destination);
    expect(result.resumedFrom).toBe(kept);
    expect(readFileSync(destination).equals(content)).toBe(true);
    expect(bodyBytesDown()).toBeLessThan(content.length - kept + headerRoom);
  });

  it("starts over when the partial file holds other bytes, or more bytes than the file", async () => {
    const garbage = newDestination();
    writeFileSync(partialPathOf(garbage), randomBytes(MiB));
    const fromGarbage = await download(garbage);
    expect(fromGarbage.resumedFrom).toBe(0);
    expect(readFileSync(garbage).equals(content)).toBe(true);

    proxy.resetStats();
    const tooLong = newDestination();
    writeFileSync(partialPathOf(tooLong), Buffer.concat([content, randomBytes(10)]));
    const fromTooLong = await download(tooLong);
    expect(fromTooLong.resumedFrom).toBe(0);
    expect(readFileSync(tooLong).equals(content)).toBe(true);
    // The server refused the range (416), then sent the whole file.
    expect(proxy.stats.requests).toHaveLength(2);
  });

  it("refuses content whose sha256 is not the expected one: IntegrityError, no file and no partial file left", async () => {
    const destination = newDestination();
    writeFileSync(partialPathOf(destination), content.subarray(0, 1000));
    const failure = download(destination, { expectedSha256: sha256Hex(randomBytes(8)) });
    await expect(failure).rejects.toBeInstanceOf(IntegrityError);
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(partialPathOf(destination))).toBe(false);
  });

  it("refuses bytes corrupted on the way (the header is right, the body is not): IntegrityError, nothing left", async () => {
    const destination = newDestination();
    // Flip the first byte of the first chunk that starts 64 KiB into the response: a body byte (the headers are far shorter).
    let position = 0;
    let flipped = false;
    proxy.transform = (direction, chunk) => {
      if (direction !== "down") return chunk;
      const start = position;
      position += chunk.length;
      if (flipped || start < 64 * KiB) return chunk;
      flipped = true;
      const copy = Buffer.from(chunk);
      copy.writeUInt8(copy.readUInt8(0) ^ 0xff, 0);
      return copy;
    };
    const failure = download(destination, { retryDelays: [] });
    await expect(failure).rejects.toBeInstanceOf(IntegrityError);
    await expect(failure).rejects.toMatchObject({ code: "INTEGRITY" });
    expect(flipped).toBe(true);
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(partialPathOf(destination))).toBe(false);
  });

  it("answers a file that is not staged with NOT_FOUND (404), and a bad token with UNAUTHENTICATED (401)", async () => {
    const destination = newDestination();
    const missing = downloadFile({
      url: `${proxy.url}/downloads/${fileUUID}/1`,
      token,
      destination,
      expectedSha256: sha256Hex(content),
    });
    await expect(missing).rejects.toBeInstanceOf(ServerError);
    await expect(missing).rejects.toMatchObject({ code: "NOT_FOUND", details: { status: 404 } });
    // Not retried: a 404 stays a 404.
    expect(proxy.stats.requests).toHaveLength(1);

    const unauthenticated = download(destination, { token: "smsync_not_a_token" });
    await expect(unauthenticated).rejects.toMatchObject({
      name: "ServerError",
      code: "UNAUTHENTICATED",
      details: { status: 401 },
    });
    expect(existsSync(destination)).toBe(false);
  });
});

describe("downloadFile against a server that does not honour the range", () => {
  // The smsync server answers ranges correctly; these servers do not, to show
  // that the client checks the answer instead of trusting it.
  let fake: http.Server;
  let fakeUrl: string;
  let behaviour: "ignore-range" | "wrong-range" = "ignore-range";
  const ranges: (string | undefined)[] = [];

  beforeAll(async () => {
    fake = http.createServer((req, res) => {
      ranges.push(req.headers.range);
      const headers = { "x-smsync-sha256": sha256Hex(content), "content-type": "application/octet-stream" };
      if (req.headers.range && behaviour === "wrong-range") {
        // Asked for bytes from N, answers with bytes from N - 10.
        const start = Number(/bytes=(\d+)-/.exec(req.headers.range)![1]) - 10;
        res.writeHead(206, {
          ...headers,
          "content-range": `bytes ${start}-${content.length - 1}/${content.length}`,
          "content-length": content.length - start,
        });
        return res.end(content.subarray(start));
      }
      res.writeHead(200, { ...headers, "content-length": content.length });
      res.end(content);
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", () => resolve()));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/downloads/x/0`;
  });
  afterAll(async () => {
    await new Promise((resolve) => fake?.close(resolve));
  });

  it("takes a 200 to a Range request as the whole file, from byte 0", async () => {
    behaviour = "ignore-range";
    ranges.length = 0;
    const destination = newDestination();
    writeFileSync(partialPathOf(destination), content.subarray(0, 5000));
    const result = await downloadFile({ url: fakeUrl, token: "t", destination, expectedSha256: sha256Hex(content) });
    expect(ranges).toEqual(["bytes=5000-"]);
    expect(result.resumedFrom).toBe(0);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });

  it("starts over when a 206 answers another range than the one asked for", async () => {
    behaviour = "wrong-range";
    ranges.length = 0;
    const destination = newDestination();
    writeFileSync(partialPathOf(destination), content.subarray(0, 5000));
    const result = await downloadFile({ url: fakeUrl, token: "t", destination, expectedSha256: sha256Hex(content) });
    expect(ranges).toEqual(["bytes=5000-", undefined]);
    expect(result.resumedFrom).toBe(0);
    expect(readFileSync(destination).equals(content)).toBe(true);
  });
});
