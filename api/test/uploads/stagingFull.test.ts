// The staging area's disk running out during an upload (docs/protocol.md,
// "Uploading a batch"): the answer is 507 with {code: "STAGING_FULL"}, the
// bytes that reached the disk stay and the offset says exactly how many, so
// the client resumes once space returns; a creation the disk has no room for
// leaves nothing behind. On a real small file system (tmpfs).
import { randomBytes, randomUUID } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeMetadata,
  matchers,
  mountSmallFileSystem,
  sha256Hex,
  type SmallFileSystem,
  smallFileSystemSuite,
  smallFileSystemSupport,
  startTestServer,
  type TestServer,
  tusPatch,
  tusRequest,
  uploadMetadata,
} from "@smsync/testkit";

describe.skipIf(!smallFileSystemSupport.ok)(smallFileSystemSuite("a full staging disk"), () => {
  let fileSystem: SmallFileSystem;
  let server: TestServer;
  let uploadsDir: string;

  beforeAll(async () => {
    fileSystem = mountSmallFileSystem(2 * 1024 * 1024);
    server = await startTestServer({ SMSYNC_STAGING_DIR: fileSystem.dir });
    uploadsDir = server.app.services.staging.uploadsDir;
  });
  afterAll(async () => {
    await server?.close();
    fileSystem?.unmount();
  });

  const create = (token: string, metadata: Record<string, string>, size: number) =>
    tusRequest(`${server.url}/uploads`, token, "POST", {
      "Upload-Length": String(size),
      "Upload-Metadata": encodeMetadata(metadata),
    });

  async function offsetOf(url: string, token: string): Promise<number> {
    const response = await tusRequest(url, token, "HEAD");
    expect(response.status).toBe(200);
    return Number(response.headers.get("upload-offset"));
  }

  it("answers 507 STAGING_FULL when a PATCH runs out of disk, keeps an offset that matches the bytes on disk, and resumes once space returns", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const fileUUID = randomUUID();
    const content = randomBytes(900 * 1024);
    await fileSystem.fill(300 * 1024);

    const created = await create(
      device.token!,
      uploadMetadata({ fileUUID, version: 0, content, fencingToken }),
      content.length,
    );
    expect(created.status).toBe(201);
    const url = created.headers.get("location")!;
    const uploadId = new URL(url).pathname.split("/").pop()!;

    const full = await tusPatch(url, device.token!, 0, content);
    expect(full.status).toBe(507);
    expect(await full.json()).toMatchObject({
      code: "STAGING_FULL",
      message: matchers.stringContaining("staging area is full"),
    });
    const offset = await offsetOf(url, device.token!);
    expect(offset).toBeLessThan(content.length);
    expect(offset).toBe((await stat(path.join(uploadsDir, uploadId))).size);

    await fileSystem.free();
    const rest = await tusPatch(url, device.token!, offset, content.subarray(offset));
    expect(rest.status).toBe(204);
    expect(rest.headers.get("upload-sha256")).toBe(sha256Hex(content));
    const done = await device.waitForOperation((await device.commit(fencingToken)).id);
    expect(done).toMatchObject({ state: "SUCCEEDED", files: [{ fileUUID, sha256: sha256Hex(content) }] });
  });

  it("answers 507 STAGING_FULL to a creation the disk has no room for, leaving no file and no staged upload behind", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(1000);
    const before = await readdir(uploadsDir);
    await fileSystem.fill(0);
    try {
      const created = await create(
        device.token!,
        uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken }),
        content.length,
      );
      expect(created.status).toBe(507);
      expect(await created.json()).toMatchObject({ code: "STAGING_FULL" });
      expect((await readdir(uploadsDir)).filter((entry) => !before.includes(entry))).toEqual([]);
      const userId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
      expect(await server.app.services.db.stagedUpload.count({ where: { userId } })).toBe(0);
    } finally {
      await fileSystem.free();
    }
  });
});
