// The contract every cloud backend passes (local directory now, Google
// Drive over its fake next). A backend's test file calls it with a factory.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { assert, describe, expect, it } from "vitest";
import type { CloudStorage } from "../../src/cloud/CloudStorage.ts";
import { CloudStorageError } from "../../src/cloud/CloudStorageError.ts";
import { sha256OfStream } from "../../src/content/sha256.ts";
import { sha256Hex } from "@smsync/testkit";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function cloudStorageContract(
  name: string,
  makeStorage: () => Promise<{ storage: CloudStorage; userId: string }>,
) {
  describe(`cloud storage contract: ${name}`, () => {
    const metadataFor = (userId: string, content: Buffer, version = 0, fileUUID = randomUUID()) => ({
      userId,
      fileUUID,
      version,
      cloudFileName: `${fileUUID}.txt`,
      mimeType: "text/plain",
      sha256: sha256Hex(content),
      size: content.length,
    });

    it("writes an object, finds it by (fileUUID, version), reads it whole and by range", async () => {
      const { storage, userId } = await makeStorage();
      const content = Buffer.from("hello, cloud\n".repeat(1000));
      const metadata = metadataFor(userId, content);
      expect(await storage.findObject(metadata)).toBeNull();
      const written = await storage.writeObject(metadata, () => Readable.from([content]));
      expect(written).toMatchObject({
        fileUUID: metadata.fileUUID,
        version: 0,
        sha256: metadata.sha256,
        size: content.length,
      });
      expect(await storage.findObject(metadata)).toMatchObject({ objectId: written.objectId });
      expect((await readAll(await storage.readObject(userId, written.objectId))).equals(content)).toBe(true);
      const part = await readAll(await storage.readObject(userId, written.objectId, { start: 13, end: 25 }));
      expect(part.equals(content.subarray(13, 26))).toBe(true);
    });

    it("writes once per (fileUUID, version): a repeated write that may find the first returns it and reads no content", async () => {
      const { storage, userId } = await makeStorage();
      const content = Buffer.from("once");
      const metadata = metadataFor(userId, content);
      const first = await storage.writeObject(metadata, () => Readable.from([content]));
      let contentRequested = false;
      const second = await storage.writeObject(
        metadata,
        () => {
          contentRequested = true;
          return Readable.from([content]);
        },
        { mayAlreadyExist: true },
      );
      expect(second.objectId).toBe(first.objectId);
      expect(contentRequested).toBe(false);
      expect(
        (await storage.listObjects(userId)).filter((object) => object.fileUUID === metadata.fileUUID),
      ).toHaveLength(1);
    });

    it("replaces an object of the same key written with other content", async () => {
      const { storage, userId } = await makeStorage();
      const fileUUID = randomUUID();
      const abandoned = Buffer.from("abandoned attempt");
      const current = Buffer.from("the committed content");
      await storage.writeObject(metadataFor(userId, abandoned, 0, fileUUID), () => Readable.from([abandoned]));
      const written = await storage.writeObject(
        metadataFor(userId, current, 0, fileUUID),
        () => Readable.from([current]),
        { mayAlreadyExist: true },
      );
      expect(written.sha256).toBe(sha256Hex(current));
      expect((await readAll(await storage.readObject(userId, written.objectId))).equals(current)).toBe(true);
      expect((await storage.listObjects(userId)).filter((object) => object.fileUUID === fileUUID)).toHaveLength(1);
    });

    it("refuses content that does not match its sha256, leaving no object", async () => {
      const { storage, userId } = await makeStorage();
      const metadata = { ...metadataFor(userId, Buffer.from("declared")), size: 8 };
      const error = await storage
        .writeObject(metadata, () => Readable.from([Buffer.from("received")]))
        .catch((e: unknown) => e);
      assert.instanceOf(error, CloudStorageError);
      expect(error.kind).toBe("integrity");
      expect(await storage.findObject(metadata)).toBeNull();
    });

    it("keeps versions apart, deletes one, and deleting a missing object succeeds", async () => {
      const { storage, userId } = await makeStorage();
      const fileUUID = randomUUID();
      const v0 = await storage.writeObject(metadataFor(userId, Buffer.from("zero"), 0, fileUUID), () =>
        Readable.from([Buffer.from("zero")]),
      );
      const v1 = await storage.writeObject(metadataFor(userId, Buffer.from("one"), 1, fileUUID), () =>
        Readable.from([Buffer.from("one")]),
      );
      expect(v0.objectId).not.toBe(v1.objectId);
      await storage.deleteObject(userId, v0.objectId);
      await storage.deleteObject(userId, v0.objectId);
      expect((await storage.listObjects(userId)).map((object) => object.version)).toEqual([1]);
      const error = await storage.readObject(userId, v0.objectId).catch((e: unknown) => e);
      assert.instanceOf(error, CloudStorageError);
      expect(error.kind).toBe("notFound");
    });

    it("streams a large object without holding it whole", async () => {
      const { storage, userId } = await makeStorage();
      const block = Buffer.alloc(1024 * 1024, 3);
      const blocks = 32;
      const { sha256 } = await sha256OfStream(
        Readable.from(
          (function* () {
            for (let i = 0; i < blocks; i++) yield block;
          })(),
        ),
      );
      const metadata = { ...metadataFor(userId, Buffer.alloc(0)), sha256, size: block.length * blocks };
      const written = await storage.writeObject(metadata, () =>
        Readable.from(
          (function* () {
            for (let i = 0; i < blocks; i++) yield block;
          })(),
        ),
      );
      expect(written.size).toBe(block.length * blocks);
      expect((await sha256OfStream(await storage.readObject(userId, written.objectId))).sha256).toBe(sha256);
    });

    it("keeps users apart", async () => {
      const { storage, userId } = await makeStorage();
      const other = await makeStorage();
      const content = Buffer.from("private");
      await storage.writeObject(metadataFor(userId, content), () => Readable.from([content]));
      expect(await other.storage.listObjects(other.userId)).toEqual([]);
    });
  });
}
