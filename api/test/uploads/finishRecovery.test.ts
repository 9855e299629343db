// All bytes received but the last-byte check never ran (the server failed or
// crashed right after the write): the upload must not stay incomplete
// forever. tus clients resume with HEAD and, seeing every byte there, send
// nothing more, so HEAD (and a repeated creation) runs the check instead.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "../support/testServer.ts";
import { sha256Hex, tusUpload, uploadMetadata, type UploadSpec, encodeMetadata, tusRequest } from "../support/uploads.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Creates an upload and sends all its bytes while the last-byte check fails; returns its URL. */
async function uploadWithFailedCheck(token: string, spec: UploadSpec & { fileUUID: string }): Promise<string> {
  const created = await tusRequest(`${server.url}/uploads`, token, "POST", {
    "Upload-Length": String(spec.content.length),
    "Upload-Metadata": encodeMetadata(uploadMetadata(spec)),
  });
  expect(created.status).toBe(201);
  const url = created.headers.get("location")!;
  // The check reads the staged file through this path: make that read fail once.
  vi.spyOn(server.app.services.staging, "uploadPath").mockReturnValueOnce("/nonexistent/staged-upload");
  const patched = await tusRequest(url, token, "PATCH", { "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream" }, spec.content);
  expect(patched.status).toBe(500);
  vi.restoreAllMocks();
  const row = await server.app.services.db.stagedUpload.findUniqueOrThrow({ where: { id: url.split("/").pop() } });
  expect(row.state).toBe("UPLOADING");
  return url;
}

describe("an upload whose bytes all arrived but were not checked", () => {
  it("is checked when tus-js-client resumes it, and can then be committed", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const spec = { fileUUID: randomUUID(), version: 0, content: randomBytes(3000), fencingToken };
    const url = await uploadWithFailedCheck(device.token!, spec);

    let patches = 0;
    await tusUpload(server.url, device.token!, spec, {
      uploadUrl: url,
      onAfterResponse: (request) => {
        if (request.getMethod() === "PATCH") patches++;
      },
    });
    // The client found every byte on the server and sent none.
    expect(patches).toBe(0);
    const done = await device.waitForOperation((await device.commit(fencingToken)).id);
    expect(done.state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID: spec.fileUUID, sha256: sha256Hex(spec.content) }]);
  });

  it("is checked by a repeated creation, which then reports it complete", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const spec = { fileUUID: randomUUID(), version: 0, content: randomBytes(3000), fencingToken };
    const url = await uploadWithFailedCheck(device.token!, spec);
    const again = await tusRequest(`${server.url}/uploads`, device.token!, "POST", {
      "Upload-Length": String(spec.content.length),
      "Upload-Metadata": encodeMetadata(uploadMetadata(spec)),
    });
    expect(again.status).toBe(201);
    expect(again.headers.get("location")).toBe(url);
    expect(again.headers.get("upload-offset")).toBe(String(spec.content.length));
    expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
  });

  it("cannot be terminated, as tus keeps an upload with all its bytes, and stays whole", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const spec = { fileUUID: randomUUID(), version: 0, content: randomBytes(3000), fencingToken };
    const url = await uploadWithFailedCheck(device.token!, spec);
    const refused = await tusRequest(url, device.token!, "DELETE");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "BAD_INPUT" });
    expect((await tusRequest(url, device.token!, "HEAD")).status).toBe(200);
    const row = await server.app.services.db.stagedUpload.findUniqueOrThrow({ where: { id: url.split("/").pop() } });
    expect(row.state).toBe("COMPLETE");
  });

  it("is discarded on HEAD when the bytes do not match, answering 460", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const spec = { fileUUID: randomUUID(), version: 0, content: randomBytes(3000), fencingToken, sha256: sha256Hex(Buffer.from("else")) };
    const url = await uploadWithFailedCheck(device.token!, spec);
    const head = await tusRequest(url, device.token!, "HEAD");
    expect(head.status).toBe(460);
    expect(await server.app.services.db.stagedUpload.findUnique({ where: { id: url.split("/").pop() } })).toBeNull();
    expect((await tusRequest(url, device.token!, "HEAD")).status).toBe(404);
  });
});
