// An upload body that sends nothing for SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS
// (docs/protocol.md, "Idle uploads") is cut by the server, which logs it: a
// stalled PATCH, whose bytes received before the stall stay and count in
// the upload's offset, and a stalled batch upload. Without the cut, only
// Node's request timeout (300 s) would end them.
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  batchEntry,
  encodeMetadata,
  tusPatch,
  tusRequest,
  uploadBatchBody,
  uploadMetadata,
  useTestServer,
} from "@smsync/testkit";
import { uploadBatchesPath } from "@smsync/protocol";

const server = useTestServer({ SMSYNC_UPLOAD_IDLE_TIMEOUT_SECONDS: "1" });
afterEach(() => {
  vi.restoreAllMocks();
});

/** Sends the first `sent` bytes of a `total`-byte body and then nothing; resolves when the server closes the connection. */
function stalledRequest(url: string, method: string, headers: Record<string, string>, total: number, sent: Buffer) {
  const request = http.request(url, { method, headers: { ...headers, "Content-Length": String(total) } });
  request.on("error", () => undefined); // the cut itself
  const closed = new Promise<void>((resolve) => request.on("close", resolve));
  request.write(sent);
  return closed;
}

function idleCutsLogged(spy: { mock: { calls: unknown[][] } }): unknown[] {
  return spy.mock.calls.filter((call) => String(call[1]).includes("idle timeout"));
}

describe("an upload body that stops sending", () => {
  it("is cut after the idle timeout, and the PATCH's bytes received so far are the upload's offset", async () => {
    const warn = vi.spyOn(server.app.services.logger, "warn");
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(10_000);
    const created = await tusRequest(`${server.url}/uploads`, device.token!, "POST", {
      "Upload-Length": String(content.length),
      "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
    });
    expect(created.status).toBe(201);
    const url = created.headers.get("location")!;

    const headers = {
      "Tus-Resumable": "1.0.0",
      authorization: `Bearer ${device.token}`,
      "Upload-Offset": "0",
      "Content-Type": "application/offset+octet-stream",
    };
    await stalledRequest(url, "PATCH", headers, content.length, content.subarray(0, 4000));

    const head = await tusRequest(url, device.token!, "HEAD");
    expect(head.headers.get("upload-offset")).toBe("4000");
    expect(idleCutsLogged(warn)).toEqual([[expect.objectContaining({ method: "PATCH" }), expect.any(String)]]);
    // The client resumes from there.
    expect((await tusPatch(url, device.token!, 4000, content.subarray(4000))).status).toBe(204);
  });

  it("cuts a batch upload whose body stops sending", async () => {
    const warn = vi.spyOn(server.app.services.logger, "warn");
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const body = uploadBatchBody(fencingToken, [batchEntry(randomBytes(5000))]);
    await stalledRequest(
      `${server.url}${uploadBatchesPath}`,
      "POST",
      { authorization: `Bearer ${device.token}` },
      body.length,
      body.subarray(0, body.length - 1000),
    );
    expect(idleCutsLogged(warn)).toEqual([[expect.objectContaining({ method: "POST" }), expect.any(String)]]);
    expect(await server.app.services.db.stagedUpload.count({ where: { user: { name: device.userName } } })).toBe(0);
  });
});
