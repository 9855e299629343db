// Uploads are bounded by SMSYNC_MAX_UPLOAD_BYTES (SPEC section 6): a larger
// Upload-Length is refused at creation, before anything is written.
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import type * as tus from "tus-js-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeMetadata,
  rowCounts,
  startTestServer,
  type TestServer,
  tusUpload,
  uploadMetadata,
} from "@smsync/testkit";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SMSYNC_MAX_UPLOAD_BYTES: "1000" });
});
afterAll(async () => {
  await server?.close();
});

describe("the upload size limit", () => {
  it("refuses an Upload-Length above the limit with 413 and writes nothing", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(1001);
    const before = await rowCounts(server.app.services.db);
    const response = await fetch(`${server.url}/uploads`, {
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
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(await server.app.services.db.stagedUpload.count()).toBe(0);
    expect(readdirSync(server.app.services.staging.uploadsDir)).toEqual([]);
  });

  it("refuses it from tus-js-client too, and accepts an upload of exactly the limit", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const before = await rowCounts(server.app.services.db);
    const tooLarge = await tusUpload(server.url, device.token!, {
      version: 0,
      content: randomBytes(5000),
      fencingToken,
    }).then(
      () => null,
      (error: tus.DetailedError) => error,
    );
    expect(tooLarge?.originalResponse?.getStatus()).toBe(413);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(await server.app.services.db.stagedUpload.count()).toBe(0);

    const { fileUUID } = await tusUpload(server.url, device.token!, {
      version: 0,
      content: randomBytes(1000),
      fencingToken,
    });
    const done = await device.waitForOperation((await device.commit(fencingToken)).id);
    expect(done.state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID, size: 1000 }]);
  });
});
