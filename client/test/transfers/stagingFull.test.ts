// uploadFile when the server's staging area runs out of disk: a typed
// StagingFullError at once (no retries that cannot help), the resume state
// kept, and a later call resumes from the bytes the server kept. The
// server's staging area is a real small file system (tmpfs).
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CuttingProxy,
  mountSmallFileSystem,
  type SmallFileSystem,
  smallFileSystemSuite,
  smallFileSystemSupport,
  startCuttingProxy,
  startTestServer,
  type TestServer,
} from "@smsync/testkit";
import { StagingFullError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { listResumableUploads } from "../../src/transfers/tusResumeStore.ts";
import { uploadFile } from "../../src/transfers/uploader.ts";
import { commitAndWait, sha256Hex } from "./helpers.ts";

describe.skipIf(!smallFileSystemSupport.ok)(smallFileSystemSuite("uploadFile with a full staging area"), () => {
  let stagingDisk: SmallFileSystem;
  let server: TestServer;
  let proxy: CuttingProxy;

  beforeAll(async () => {
    stagingDisk = mountSmallFileSystem(2 * 1024 * 1024);
    server = await startTestServer({ SMSYNC_STAGING_DIR: stagingDisk.dir });
    proxy = await startCuttingProxy(new URL(server.url).port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    stagingDisk?.unmount();
  });

  it("rejects with StagingFullError without retrying, keeps the resume state, and resumes from the kept bytes once there is room", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(900 * 1024);
    const fileUUID = randomUUID();
    const store = new MemoryStore();
    const options = {
      endpoint: `${proxy.url}/uploads`,
      token: device.token!,
      store,
      file: content,
      metadata: {
        fileUUID,
        version: 0,
        sha256: sha256Hex(content),
        cloudFileName: "big.bin",
        mimeType: "application/octet-stream",
        fencingToken,
      },
    };
    await stagingDisk.fill(300 * 1024);
    try {
      const failure = uploadFile(options);
      await expect(failure).rejects.toBeInstanceOf(StagingFullError);
      await expect(failure).rejects.toMatchObject({ code: "STAGING_FULL", details: { status: 507 } });
      // The creation and one PATCH: the default retry delays were not spent on it.
      expect(proxy.stats.requests.map((line) => line.split(" ")[0])).toEqual(["POST", "PATCH"]);
      expect(await listResumableUploads(store)).toHaveLength(1);
    } finally {
      await stagingDisk.free();
    }

    const resumed = await uploadFile(options);
    expect(resumed.resumedFrom).toBeGreaterThan(0);
    await commitAndWait(device, fencingToken);
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID, sha256: sha256Hex(content) }]);
  });
});
