// The tus 1.0 extensions the byte plane offers, as a tus client discovers
// them: core, creation, termination, expiration, with the size limit.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata, startTestServer, type TestServer, tusPatch, uploadMetadata } from "@smsync/testkit";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SMSYNC_MAX_UPLOAD_BYTES: "1048576", SMSYNC_UPLOAD_EXPIRY_SECONDS: "3600" });
});
afterAll(async () => {
  await server?.close();
});

describe("tus discovery and expiration", () => {
  it("announces version 1.0.0, its extensions and the size limit on OPTIONS", async () => {
    const response = await fetch(`${server.url}/uploads`, { method: "OPTIONS" });
    expect(response.status).toBe(204);
    expect(response.headers.get("tus-version")).toBe("1.0.0");
    const extensions = response.headers
      .get("tus-extension")!
      .split(",")
      .map((name) => name.trim());
    for (const extension of ["creation", "termination", "expiration"]) expect(extensions).toContain(extension);
    expect(response.headers.get("tus-max-size")).toBe("1048576");
  });

  it("tells when an unfinished upload expires, one upload-expiry period after its creation", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = Buffer.alloc(1000, 1);
    const created = await fetch(`${server.url}/uploads`, {
      method: "POST",
      headers: {
        "Tus-Resumable": "1.0.0",
        authorization: `Bearer ${device.token}`,
        "Upload-Length": String(content.length),
        "Upload-Metadata": encodeMetadata(
          uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken }),
        ),
      },
    });
    expect(created.status).toBe(201);
    const patched = await tusPatch(created.headers.get("location")!, device.token!, 0, content.subarray(0, 400));
    expect(patched.status).toBe(204);
    const expires = Date.parse(patched.headers.get("upload-expires")!);
    expect(expires - Date.now()).toBeGreaterThan(3000 * 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3600 * 1000);
  });
});
