// uploadFile against a real server: chunked uploads from a path, bytes or a
// Blob; resume after an abort, after a cut connection and after a relaunch
// (a new uploader over the store read back from disk), each sending only
// what the server lacks (bytes counted by a proxy); typed errors that leave
// the server's rows as they were.
import { randomBytes, randomUUID } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, assert, beforeAll, describe, expect, it } from "vitest";
import { type CuttingProxy, rowCounts, startCuttingProxy, startTestServer, type TestServer } from "@smsync/testkit";
import { NetworkError, ServerError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { ClientStore } from "../../src/store/ClientStore.ts";
import { forgetUploadChange, listResumableUploads, uploadFingerprint } from "../../src/transfers/tusResumeStore.ts";
import { uploadFile, type UploadFileOptions, type UploadMetadata } from "../../src/transfers/uploader.ts";
import { LocalSourceError } from "../../src/transfers/uploadSources.ts";
import { cloudContent, commitAndWait, JsonFileStore, serverOffset, sha256Hex, type Device } from "./helpers.ts";
import { indexEntry } from "../support/serverReads.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
/** Room for request and response headers when counting bytes through the proxy. */
const headerRoom = 64 * KiB;

let server: TestServer;
let proxy: CuttingProxy;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startCuttingProxy(new URL(server.url).port);
  dir = mkdtempSync(path.join(tmpdir(), "smsync-uploader-"));
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  proxy.disarm();
  proxy.refuse(false);
  proxy.resetStats();
});

function metadataFor(content: Buffer, fencingToken: number, overrides: Partial<UploadMetadata> = {}): UploadMetadata {
  const fileUUID = overrides.fileUUID ?? randomUUID();
  return {
    fileUUID,
    version: 0,
    sha256: sha256Hex(content),
    cloudFileName: `${fileUUID}.bin`,
    mimeType: "application/octet-stream",
    fencingToken,
    ...overrides,
  };
}

function fileWith(content: Buffer): string {
  const file = path.join(dir, `${randomUUID()}.bin`);
  writeFileSync(file, content);
  return file;
}

/** uploadFile through the proxy. */
function upload(
  device: Device,
  store: ClientStore,
  file: UploadFileOptions["file"],
  metadata: UploadMetadata,
  options: Partial<UploadFileOptions> = {},
) {
  return uploadFile({ endpoint: `${proxy.url}/uploads`, token: device.token!, store, file, metadata, ...options });
}

async function stagedRow(uploadUrl: string) {
  return server.app.services.db.stagedUpload.findUnique({ where: { id: uploadUrl.split("/").pop()! } });
}

describe("uploadFile", () => {
  it("uploads a file from its path in chunks of chunkSize, and keeps no resume state after", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(3 * MiB + 123);
    const metadata = metadataFor(content, fencingToken, {
      appMetaData: JSON.stringify({ album: "holidays" }),
      mimeType: "image/jpeg",
    });
    const store = new MemoryStore();
    const progress: number[] = [];

    const result = await upload(device, store, fileWith(content), metadata, {
      chunkSize: 512 * KiB,
      onProgress: (sent, total) => {
        expect(total).toBe(content.length);
        progress.push(sent);
      },
    });

    expect(result.size).toBe(content.length);
    expect(result.resumedFrom).toBe(0);
    // One creation, then one PATCH per 512 KiB slice.
    expect(proxy.stats.requests.filter((line) => line.startsWith("POST "))).toHaveLength(1);
    expect(proxy.stats.requests.filter((line) => line.startsWith("PATCH "))).toHaveLength(
      Math.ceil(content.length / (512 * KiB)),
    );
    expect(progress.at(-1)).toBe(content.length);
    expect((await stagedRow(result.uploadUrl))?.state).toBe("COMPLETE");
    expect(await listResumableUploads(store)).toEqual([]);

    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, metadata.fileUUID))?.equals(content)).toBe(true);
    const entry = await indexEntry(device, metadata.fileUUID);
    expect(entry).toMatchObject({ version: 0, mimeType: "image/jpeg", sha256: metadata.sha256, size: content.length });
    expect(JSON.parse(entry?.appMetaData ?? "null")).toEqual({ album: "holidays" });
  });

  it("uploads bytes in memory and Blobs", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const bytes = randomBytes(700 * KiB);
    const blobContent = randomBytes(900 * KiB);
    const store = new MemoryStore();
    const fromBytes = metadataFor(bytes, fencingToken);
    const fromBlob = metadataFor(blobContent, fencingToken);

    // A Uint8Array that is a window on a larger buffer: only its own bytes go.
    const window = new Uint8Array(Buffer.concat([randomBytes(10), bytes, randomBytes(10)]).buffer, 10, bytes.length);
    await upload(device, store, window, fromBytes, { chunkSize: 256 * KiB });
    await upload(device, store, new Blob([blobContent]), fromBlob, { chunkSize: 256 * KiB });

    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, fromBytes.fileUUID))?.equals(bytes)).toBe(true);
    expect((await cloudContent(server, device.userName, fromBlob.fileUUID))?.equals(blobContent)).toBe(true);
  });

  it("resumes after an abort mid-way, from the server's offset", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(4 * MiB);
    const file = fileWith(content);
    const metadata = metadataFor(content, fencingToken);
    const store = new MemoryStore();
    const controller = new AbortController();
    const reason = new Error("suspended by the app");

    const aborted = upload(device, store, file, metadata, {
      chunkSize: 256 * KiB,
      signal: controller.signal,
      onProgress: (sent) => {
        if (sent >= MiB) controller.abort(reason);
      },
    });
    await expect(aborted).rejects.toBe(reason);

    // The resume state names the upload; the server kept what it received.
    const [entry] = await listResumableUploads(store);
    assert.exists(entry);
    expect(entry).toMatchObject({
      fingerprint: uploadFingerprint(metadata),
      fileUUID: metadata.fileUUID,
      size: content.length,
    });
    const kept = await serverOffset(entry.uploadUrl, device.token!);
    expect(kept).toBeGreaterThanOrEqual(512 * KiB);
    expect(kept).toBeLessThan(content.length);

    proxy.resetStats();
    const result = await upload(device, store, file, metadata, { chunkSize: 256 * KiB });
    expect(result.uploadUrl).toBe(entry.uploadUrl);
    expect(result.resumedFrom).toBe(kept);
    // No new creation, and only the missing bytes went up.
    expect(proxy.stats.requests.some((line) => line.startsWith("POST "))).toBe(false);
    expect(proxy.stats.bytesUp).toBeLessThan(content.length - kept + headerRoom);
    expect(await listResumableUploads(store)).toEqual([]);

    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, metadata.fileUUID))?.equals(content)).toBe(true);
  });

  it("resumes after a relaunch: a new uploader over the store read back from disk continues the cut upload", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(4 * MiB);
    const file = fileWith(content);
    const metadata = metadataFor(content, fencingToken);
    const storeFile = path.join(dir, `${randomUUID()}.store.json`);

    // The first process: its one PATCH is cut after 1.5 MiB, and it has no retries left.
    const cut = proxy.cutAfter({ direction: "up", afterBytes: 1.5 * MiB, match: /^PATCH / });
    const first = upload(device, new JsonFileStore(storeFile), file, metadata, { retryDelays: [] });
    await expect(first).rejects.toBeInstanceOf(NetworkError);
    await cut;

    // The relaunched process reads the store from disk.
    const relaunchedStore = new JsonFileStore(storeFile);
    const [entry] = await listResumableUploads(relaunchedStore);
    assert.exists(entry);
    expect(entry.fingerprint).toBe(uploadFingerprint(metadata));
    const kept = await serverOffset(entry.uploadUrl, device.token!);
    expect(kept).toBeGreaterThan(MiB / 2);
    expect(kept).toBeLessThanOrEqual(1.5 * MiB);

    proxy.resetStats();
    const result = await upload(device, relaunchedStore, file, metadata, { retryDelays: [] });
    expect(result).toMatchObject({ uploadUrl: entry.uploadUrl, resumedFrom: kept, size: content.length });
    expect(proxy.stats.requests.map((line) => line.split(" ")[0])).toEqual(["HEAD", "PATCH"]);
    expect(proxy.stats.bytesUp).toBeLessThan(content.length - kept + headerRoom);
    expect(await listResumableUploads(new JsonFileStore(storeFile))).toEqual([]);

    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, metadata.fileUUID))?.equals(content)).toBe(true);
  });

  it("retries a connection cut mid-PATCH by itself, sending only the bytes the server lacks", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(4 * MiB);
    const metadata = metadataFor(content, fencingToken);
    const store = new MemoryStore();

    const cut = proxy.cutAfter({ direction: "up", afterBytes: 2 * MiB, match: /^PATCH / });
    const result = await upload(device, store, fileWith(content), metadata, { retryDelays: [0] });
    await cut;

    expect(proxy.stats.cuts).toBe(1);
    expect(proxy.stats.requests.map((line) => line.split(" ")[0])).toEqual(["POST", "PATCH", "HEAD", "PATCH"]);
    // 2 MiB went before the cut, and the server kept most of them (what it had buffered when the
    // connection broke may be lost); a restart from 0 would send the whole file after them.
    expect(proxy.stats.bytesUp).toBeGreaterThanOrEqual(content.length);
    expect(proxy.stats.bytesUp).toBeLessThan(content.length + MiB);
    expect(result.resumedFrom).toBe(0);

    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, metadata.fileUUID))?.equals(content)).toBe(true);
  });

  it("finishes an upload whose last PATCH the server took but whose answer was lost, without sending it again", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(MiB);
    const metadata = metadataFor(content, fencingToken);

    // The proxy drops the connection as the server starts answering the PATCH.
    const cut = proxy.cutAfter({ direction: "down", afterBytes: 0, match: /^PATCH / });
    const result = await upload(device, new MemoryStore(), fileWith(content), metadata, { retryDelays: [0] });
    await cut;
    expect(proxy.stats.cuts).toBe(1);
    // The retry asks for the offset, finds every byte there and is done.
    expect(proxy.stats.requests.map((line) => line.split(" ")[0])).toEqual(["POST", "PATCH", "HEAD"]);
    expect(proxy.stats.bytesUp).toBeLessThan(content.length + headerRoom);
    expect((await stagedRow(result.uploadUrl))?.state).toBe("COMPLETE");
    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, metadata.fileUUID))?.equals(content)).toBe(true);
  });

  it("leaves the resume state to the caller with keepResumeState, to delete in the commit that records the upload", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(100 * KiB);
    const metadata = metadataFor(content, fencingToken);
    const store = new MemoryStore();
    const result = await upload(device, store, content, metadata, { keepResumeState: true });
    expect(await listResumableUploads(store)).toMatchObject([
      { fingerprint: result.fingerprint, uploadUrl: result.uploadUrl },
    ]);
    await store.commit([forgetUploadChange(metadata)]);
    expect(await listResumableUploads(store)).toEqual([]);
  });

  it("recovers an upload whose resume state was lost: the creation finds it, and it continues from the server's offset", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(2 * MiB);
    const file = fileWith(content);
    const metadata = metadataFor(content, fencingToken);

    const cut = proxy.cutAfter({ direction: "up", afterBytes: MiB, match: /^PATCH / });
    await expect(upload(device, new MemoryStore(), file, metadata, { retryDelays: [] })).rejects.toBeInstanceOf(
      NetworkError,
    );
    await cut;

    // A new, empty store (as after a crash before the URL was stored).
    proxy.resetStats();
    const result = await upload(device, new MemoryStore(), file, metadata, { retryDelays: [] });
    expect(result.resumedFrom).toBeGreaterThan(0);
    // The creation named the existing upload: its offset asked, no PATCH from 0.
    expect(proxy.stats.requests.map((line) => line.split(" ")[0])).toEqual(["POST", "HEAD", "PATCH"]);
    expect(proxy.stats.bytesUp).toBeLessThan(content.length - result.resumedFrom + headerRoom);
    await commitAndWait(device, fencingToken);
    expect((await cloudContent(server, device.userName, metadata.fileUUID))?.equals(content)).toBe(true);
  });
});

describe("uploadFile errors", () => {
  it("answers a bad token with UNAUTHENTICATED (401), writing nothing and keeping no resume state", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(10 * KiB);
    const store = new MemoryStore();
    const before = await rowCounts(server.app.services.db);

    const failure = uploadFile({
      endpoint: `${proxy.url}/uploads`,
      token: "smsync_not_a_token",
      store,
      file: content,
      metadata: metadataFor(content, fencingToken),
    });
    await expect(failure).rejects.toBeInstanceOf(ServerError);
    await expect(failure).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { status: 401 } });
    expect(proxy.stats.requests).toHaveLength(1);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(await listResumableUploads(store)).toEqual([]);
  });

  it("answers an upload without the lock with LOCK_REQUIRED (423), at once: no retry of smsync's 423", async () => {
    const device = await server.newUser();
    const content = randomBytes(10 * KiB);
    const before = await rowCounts(server.app.services.db);

    // Default retry delays: tus-js-client alone would retry a 423.
    const failure = upload(device, new MemoryStore(), content, metadataFor(content, 1));
    await expect(failure).rejects.toMatchObject({
      name: "ServerError",
      code: "LOCK_REQUIRED",
      details: { status: 423 },
    });
    expect(proxy.stats.requests).toHaveLength(1);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("answers a version that is not the index version + 1 with WRONG_VERSION (409), at once, and forgets the resume state", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(10 * KiB);
    const store = new MemoryStore();
    const before = await rowCounts(server.app.services.db);

    const failure = upload(device, store, content, metadataFor(content, fencingToken, { version: 1 }));
    await expect(failure).rejects.toMatchObject({
      name: "ServerError",
      code: "WRONG_VERSION",
      details: { status: 409, expectedVersion: 0 },
    });
    expect(proxy.stats.requests).toHaveLength(1);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(await listResumableUploads(store)).toEqual([]);
  });

  it("answers an upload of a file whose deletion is in the batch with UPLOAD_AND_DELETION_IN_BATCH (409), at once, and forgets the resume state", async () => {
    const device = await server.newUser();
    let { fencingToken } = await device.lock();
    const first = randomBytes(KiB);
    const metadata = metadataFor(first, fencingToken);
    await upload(device, new MemoryStore(), first, metadata);
    await commitAndWait(device, fencingToken);
    ({ fencingToken } = await device.lock());
    await device.deleteFiles(fencingToken, [{ fileUUID: metadata.fileUUID, version: 0 }]);
    const store = new MemoryStore();
    const before = await rowCounts(server.app.services.db);
    proxy.resetStats();

    const content = randomBytes(10 * KiB);
    const failure = upload(
      device,
      store,
      content,
      metadataFor(content, fencingToken, { fileUUID: metadata.fileUUID, version: 1 }),
    );
    await expect(failure).rejects.toMatchObject({
      name: "ServerError",
      code: "UPLOAD_AND_DELETION_IN_BATCH",
      details: { status: 409 },
    });
    expect(proxy.stats.requests).toHaveLength(1);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(await listResumableUploads(store)).toEqual([]);
  });

  it("answers bytes that do not match the declared sha256 with CHECKSUM_MISMATCH (460); the server and the store drop the upload", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(600 * KiB);
    const store = new MemoryStore();
    const metadata = metadataFor(content, fencingToken, { sha256: sha256Hex(randomBytes(16)) });

    const failure = upload(device, store, fileWith(content), metadata, { chunkSize: 256 * KiB });
    await expect(failure).rejects.toMatchObject({
      name: "ServerError",
      code: "CHECKSUM_MISMATCH",
      details: { status: 460 },
    });
    // Not retried: one creation, the PATCHes of one pass.
    expect(proxy.stats.requests.filter((line) => line.startsWith("POST "))).toHaveLength(1);
    expect(await listResumableUploads(store)).toEqual([]);
    const userId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
    expect(await server.app.services.db.stagedUpload.count({ where: { userId } })).toBe(0);
  });

  it("gives a NetworkError when the server cannot be reached", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(10 * KiB);
    proxy.refuse(true);
    const failure = upload(device, new MemoryStore(), content, metadataFor(content, fencingToken), { retryDelays: [] });
    await expect(failure).rejects.toBeInstanceOf(NetworkError);
  });

  it("gives a LocalSourceError for a missing file, and for a file that changes size while it is sent", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(MiB);
    const store = new MemoryStore();

    const missing = upload(device, store, path.join(dir, "no-such-file"), metadataFor(content, fencingToken));
    await expect(missing).rejects.toBeInstanceOf(LocalSourceError);
    expect(proxy.stats.requests).toHaveLength(0);

    const file = fileWith(content);
    let grown = false;
    const changing = upload(device, store, file, metadataFor(content, fencingToken), {
      chunkSize: 256 * KiB,
      onProgress: (sent) => {
        if (sent >= 256 * KiB && !grown) {
          grown = true;
          appendFileSync(file, randomBytes(100));
        }
      },
    });
    await expect(changing).rejects.toMatchObject({ name: "LocalSourceError", code: "LOCAL_SOURCE" });
  });
});
