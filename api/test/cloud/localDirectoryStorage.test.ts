import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
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

describe("local directory backend, hard links", () => {
  const metadataOf = (userId: string, content: Buffer, fileUUID: string = randomUUID()) => ({
    userId,
    fileUUID,
    version: 0,
    cloudFileName: "x.bin",
    mimeType: "application/octet-stream",
    sha256: createHash("sha256").update(content).digest("hex"),
    size: content.length,
  });
  const neverRead = () => {
    throw new Error("the content stream was read: the source file should have been linked");
  };

  it("links a source file into place, and a replacing write leaves that file's bytes alone", async () => {
    const storage = new LocalDirectoryStorage(root);
    const userId = randomUUID();
    const content = randomBytes(5000);
    const source = path.join(root, `source-${randomUUID()}`);
    await writeFile(source, content);
    const first = await storage.writeObject(metadataOf(userId, content), neverRead, { sourceFile: source });
    const object = path.join(root, userId, first.objectId);
    expect((await stat(object)).ino).toBe((await stat(source)).ino);

    // The same key written again with other content (a given-up batch's object replaced): a new inode.
    const other = randomBytes(3000);
    await storage.writeObject(metadataOf(userId, other, first.fileUUID), () => Readable.from([other]));
    expect((await readFile(object)).equals(other)).toBe(true);
    expect((await readFile(source)).equals(content)).toBe(true);
  });

  it("refuses a linked source of another size, leaving nothing behind", async () => {
    const storage = new LocalDirectoryStorage(root);
    const userId = randomUUID();
    const source = path.join(root, `source-${randomUUID()}`);
    await writeFile(source, randomBytes(101));
    const metadata = metadataOf(userId, randomBytes(100));
    await expect(storage.writeObject(metadata, neverRead, { sourceFile: source })).rejects.toMatchObject({
      kind: "integrity",
    });
    expect(await readdir(path.join(root, userId, ".tmp"))).toEqual([]);
    expect(await storage.findObject(metadata)).toBeNull();
  });

  it("lends an object by linkObject: the link outlives the object's removal; a missing object is notFound", async () => {
    const storage = new LocalDirectoryStorage(root);
    const userId = randomUUID();
    const content = randomBytes(5000);
    const written = await storage.writeObject(metadataOf(userId, content), () => Readable.from([content]));
    const linked = path.join(root, `staged-${randomUUID()}`);
    expect(await storage.linkObject(userId, written.objectId, linked)).toBe(true);
    await storage.deleteObject(userId, written.objectId);
    expect((await readFile(linked)).equals(content)).toBe(true);
    await expect(storage.linkObject(userId, written.objectId, `${linked}.again`)).rejects.toMatchObject({
      kind: "notFound",
    });
  });

  it("copies, and linkObject answers false, where the file system cannot link (EXDEV)", async () => {
    const crossDevice = () => Promise.reject(Object.assign(new Error("EXDEV: cross-device link"), { code: "EXDEV" }));
    const storage = new LocalDirectoryStorage(root, { linkFile: crossDevice });
    const userId = randomUUID();
    const content = randomBytes(5000);
    const source = path.join(root, `source-${randomUUID()}`);
    await writeFile(source, content);
    const written = await storage.writeObject(metadataOf(userId, content), () => Readable.from([content]), {
      sourceFile: source,
    });
    const object = path.join(root, userId, written.objectId);
    expect((await stat(object)).ino).not.toBe((await stat(source)).ino);
    expect((await readFile(object)).equals(content)).toBe(true);
    expect(await storage.linkObject(userId, written.objectId, path.join(root, `staged-${randomUUID()}`))).toBe(false);
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
