import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import {
  mountSmallFileSystem,
  smallFileSystemSuite,
  smallFileSystemSupport,
  type SmallFileSystem,
} from "@smsync/testkit";
import { cloudStorageContract } from "./cloudStorageContract.ts";

const root = mkdtempSync(path.join(tmpdir(), "smsync-cloud-"));
cloudStorageContract("local directory", () =>
  Promise.resolve({ storage: new LocalDirectoryStorage(root), userId: randomUUID() }),
);

describe("local directory backend", () => {
  it("leaves no temporary file behind a failed write", async () => {
    const storage = new LocalDirectoryStorage(root);
    const userId = randomUUID();
    const failing = () =>
      new Readable({
        read() {
          this.destroy(new Error("connection dropped"));
        },
      });
    const metadata = {
      userId,
      fileUUID: randomUUID(),
      version: 0,
      cloudFileName: "x",
      mimeType: "text/plain",
      sha256: "0".repeat(64),
      size: 1,
    };
    await expect(storage.writeObject(metadata, failing)).rejects.toMatchObject({ kind: "transient" });
    expect(await readdir(path.join(root, userId, ".tmp"))).toEqual([]);
    expect(await storage.findObject(metadata)).toBeNull();
  });

  it("refuses object ids that would leave the user's directory", async () => {
    const storage = new LocalDirectoryStorage(root);
    await expect(storage.readObject(randomUUID(), "../../etc/passwd")).rejects.toMatchObject({ kind: "notFound" });
    await expect(storage.deleteObject(randomUUID(), "../x.v0")).rejects.toMatchObject({ kind: "notFound" });
  });
});

describe.skipIf(!smallFileSystemSupport.ok)(
  smallFileSystemSuite("local directory backend on a full file system"),
  () => {
    let fileSystem: SmallFileSystem;
    beforeAll(() => {
      fileSystem = mountSmallFileSystem(1024 * 1024);
    });
    afterAll(() => fileSystem?.unmount());

    const metadataOf = (userId: string, content: Buffer) => ({
      userId,
      fileUUID: randomUUID(),
      version: 0,
      cloudFileName: "x.bin",
      mimeType: "application/octet-stream",
      sha256: createHash("sha256").update(content).digest("hex"),
      size: content.length,
    });

    it("answers storageFull (not transient) when the file system has no room, leaves nothing behind, and writes once space returns", async () => {
      const storage = new LocalDirectoryStorage(fileSystem.dir);
      const userId = randomUUID();
      const content = randomBytes(300 * 1024);
      const metadata = metadataOf(userId, content);
      await fileSystem.fill(100 * 1024);

      const failure = storage.writeObject(metadata, () => Readable.from([content]));
      await expect(failure).rejects.toMatchObject({ kind: "storageFull", waitsWithoutAttempt: true });
      await expect(failure).rejects.toThrow(/file system is full \(ENOSPC\)/);
      expect(await readdir(path.join(fileSystem.dir, userId, ".tmp"))).toEqual([]);
      expect(await storage.findObject(metadata)).toBeNull();

      await fileSystem.free();
      const written = await storage.writeObject(metadata, () => Readable.from([content]));
      expect(written).toMatchObject({ sha256: metadata.sha256, size: content.length });
      expect(Buffer.concat(await (await storage.readObject(userId, written.objectId)).toArray()).equals(content)).toBe(
        true,
      );
    });
  },
);
