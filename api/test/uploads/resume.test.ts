// A tus upload cut mid-way keeps the bytes the server received, and
// tus-js-client resumes it from there: once by aborting between chunks, once
// by a TCP proxy that cuts the connection in the middle of a PATCH body.
import { randomBytes, randomUUID } from "node:crypto";
import net from "node:net";
import type { AddressInfo } from "node:net";
import * as tus from "tus-js-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex, type TestGraphQLClient, tusUpload, uploadMetadata, useTestServer } from "@smsync/testkit";

const server = useTestServer();
afterEach(() => {
  vi.restoreAllMocks();
});

async function uploadOffset(uploadUrl: string, token: string): Promise<number> {
  const response = await fetch(uploadUrl, {
    method: "HEAD",
    headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return Number(response.headers.get("upload-offset"));
}

/** Commits the batch and checks that the cloud holds exactly `content` for the file. */
async function expectCommitted(
  device: TestGraphQLClient & { userName: string },
  fencingToken: number,
  fileUUID: string,
  content: Buffer,
) {
  const done = await device.waitForOperation((await device.commit(fencingToken)).id);
  expect(done.state).toBe("SUCCEEDED");
  const entry = (await device.fileIndex()).files.find((file) => file.fileUUID === fileUUID);
  expect(entry).toMatchObject({ version: 0, size: content.length, sha256: sha256Hex(content) });
  const { cloud, db } = server.app.services;
  const userId = (await db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
  const object = (await cloud.listObjects(userId)).find((candidate) => candidate.fileUUID === fileUUID)!;
  const chunks: Buffer[] = [];
  for await (const chunk of await cloud.readObject(userId, object.objectId)) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).equals(content)).toBe(true);
}

describe("an interrupted upload", () => {
  it("resumes after the client aborts between chunks", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const fileUUID = randomUUID();
    const content = randomBytes(512 * 1024);
    const chunkSize = 64 * 1024;

    // The first upload stops itself once its first PATCH has been answered.
    const uploadUrl = await new Promise<string>((resolve, reject) => {
      const upload: tus.Upload = new tus.Upload(content, {
        endpoint: `${server.url}/uploads`,
        headers: { authorization: `Bearer ${device.token}` },
        metadata: uploadMetadata({ fileUUID, version: 0, content, fencingToken }),
        chunkSize,
        retryDelays: [],
        storeFingerprintForResuming: false,
        onChunkComplete: () => {
          upload.abort().then(() => resolve(upload.url!), reject);
        },
        onSuccess: () => reject(new Error("the upload was meant to be cut before its end")),
        onError: reject,
      });
      upload.start();
    });

    expect(await uploadOffset(uploadUrl, device.token!)).toBe(chunkSize);
    const row = await server.app.services.db.stagedUpload.findUniqueOrThrow({
      where: { id: uploadUrl.split("/").pop() },
    });
    expect(row.state).toBe("UPLOADING");

    // A new client resumes the same URL: it asks for the offset and sends the rest.
    let firstResumedOffset: number | undefined;
    const resumed = await tusUpload(
      server.url,
      device.token!,
      { fileUUID, version: 0, content, fencingToken },
      {
        uploadUrl,
        chunkSize,
        onChunkComplete: (_chunk, bytesAccepted) => {
          firstResumedOffset ??= bytesAccepted;
        },
      },
    );
    expect(resumed.url).toBe(uploadUrl);
    // The resumed client's first chunk ends past the bytes kept, not at chunkSize again.
    expect(firstResumedOffset).toBe(2 * chunkSize);
    expect(await uploadOffset(uploadUrl, device.token!)).toBe(content.length);
    await expectCommitted(device, fencingToken, fileUUID, content);
  });

  it("keeps the bytes received before the connection was cut mid-body, and resumes from there", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const fileUUID = randomUUID();
    const content = randomBytes(4 * 1024 * 1024);
    const proxy = await startCuttingProxy(new URL(server.url).port, 1024 * 1024);
    try {
      // One PATCH for the whole file: the proxy cuts it after about 1 MiB.
      const proxied = `http://127.0.0.1:${proxy.port}`;
      let uploadUrl: string | null = null;
      const failure = await new Promise<Error>((resolve, reject) => {
        const upload: tus.Upload = new tus.Upload(content, {
          endpoint: `${proxied}/uploads`,
          headers: { authorization: `Bearer ${device.token}` },
          metadata: uploadMetadata({ fileUUID, version: 0, content, fencingToken }),
          retryDelays: [],
          storeFingerprintForResuming: false,
          onUploadUrlAvailable: () => {
            uploadUrl = upload.url;
          },
          onSuccess: () => reject(new Error("the proxy was meant to cut the upload")),
          onError: resolve,
        });
        upload.start();
      });
      expect(failure).toBeInstanceOf(Error);
      expect(proxy.cuts).toBeGreaterThan(0);
      expect(uploadUrl).toMatch(new RegExp(`^${proxied}/uploads/`));

      proxy.cutAfterBytes = Infinity;
      const kept = await uploadOffset(uploadUrl!, device.token!);
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(content.length);

      // tus ends a cut PATCH's write with the bytes received, each hashed as it was written: the resumed
      // upload is checked from that hash, without reading its file (and commits with the right sha256).
      const stagedReads = vi.spyOn(server.app.services.staging, "uploadPath");
      let resumedFrom: number | undefined;
      await tusUpload(
        proxied,
        device.token!,
        { fileUUID, version: 0, content, fencingToken },
        {
          uploadUrl,
          onProgress: (bytesSent) => {
            resumedFrom ??= bytesSent;
          },
        },
      );
      // tus-js-client reports progress from the resumed offset on.
      expect(resumedFrom).toBeGreaterThanOrEqual(kept);
      expect(stagedReads).not.toHaveBeenCalled();
      await expectCommitted(device, fencingToken, fileUUID, content);
    } finally {
      await proxy.close();
    }
  });
});

interface CuttingProxy {
  port: number;
  /** Bytes a connection may send towards the server before the proxy cuts it. */
  cutAfterBytes: number;
  cuts: number;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 that destroys both sides of a connection once it carried cutAfterBytes towards the server. */
async function startCuttingProxy(targetPort: string, cutAfterBytes: number): Promise<CuttingProxy> {
  const sockets = new Set<net.Socket>();
  const state: CuttingProxy = {
    port: 0,
    cutAfterBytes,
    cuts: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxyServer.close(() => resolve());
      }),
  };
  const proxyServer = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), "127.0.0.1");
    sockets.add(client).add(upstream);
    let forwarded = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const room = state.cutAfterBytes - forwarded;
      if (chunk.length >= room) {
        if (room > 0) upstream.write(chunk.subarray(0, room));
        state.cuts++;
        // Let the bytes already written reach the server before the cut.
        upstream.end(() => setImmediate(cut));
        client.pause();
        return;
      }
      forwarded += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => proxyServer.listen(0, "127.0.0.1", () => resolve()));
  state.port = (proxyServer.address() as AddressInfo).port;
  return state;
}
