// The local cloud's writes of many objects from local files at once
// (writeObjectsFromFiles, what an outbound transfer's chunk uses): each
// content linked into place, the metadata of all in one file that each
// object's metadata name links to, and every write idempotent by key as a
// single write is. A failed write keeps the writes before it and none
// after it.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { FileObjectWrite } from "../../src/cloud/CloudStorage.ts";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import { DeferredDirectorySyncs } from "../../src/durability/DeferredDirectorySyncs.ts";

const root = mkdtempSync(path.join(tmpdir(), "smsync-cloud-batch-"));

const sha256 = (content: Buffer) => createHash("sha256").update(content).digest("hex");

/** Source files of these contents, and their writes for one new user. */
async function writesOf(contents: Buffer[], userId: string = randomUUID()): Promise<FileObjectWrite[]> {
  return Promise.all(
    contents.map(async (content, index) => {
      const sourceFile = path.join(root, `source-${randomUUID()}`);
      await writeFile(sourceFile, content);
      return {
        sourceFile,
        metadata: {
          userId,
          fileUUID: randomUUID(),
          version: 0,
          cloudFileName: `file-${index}.bin`,
          mimeType: "application/octet-stream",
          sha256: sha256(content),
          size: content.length,
        },
      };
    }),
  );
}

async function writeAll(storage: LocalDirectoryStorage, writes: FileObjectWrite[]) {
  const syncs = new DeferredDirectorySyncs();
  const outcome = await storage.writeObjectsFromFiles(writes, syncs);
  await syncs.flush();
  return outcome;
}

const userDirOf = (writes: FileObjectWrite[]) => path.join(root, writes[0]!.metadata.userId);

describe("local directory backend, objects written together from files", () => {
  it("links each content into place, describes all of them in one metadata file, and leaves nothing in .tmp", async () => {
    const storage = new LocalDirectoryStorage(root);
    const contents = Array.from({ length: 20 }, (_, index) => randomBytes(index * 300));
    const writes = await writesOf(contents);
    const { results, failed } = await writeAll(storage, writes);
    expect(failed).toBeUndefined();
    expect(results.map((object) => object.objectId)).toEqual(
      writes.map(({ metadata }) => `${metadata.fileUUID}.v${metadata.version}`),
    );

    const userDir = userDirOf(writes);
    const metadataInodes = new Set<number>();
    for (const [index, write] of writes.entries()) {
      const object = path.join(userDir, results[index]!.objectId);
      expect((await stat(object)).ino).toBe((await stat(write.sourceFile)).ino);
      metadataInodes.add((await stat(`${object}.json`)).ino);
      expect(await storage.findObject(write.metadata)).toEqual({
        ...write.metadata,
        objectId: results[index]!.objectId,
      });
    }
    expect(metadataInodes.size).toBe(1);
    expect(await readdir(path.join(userDir, ".tmp"))).toEqual([]);

    const listed = await storage.listObjects(writes[0]!.metadata.userId);
    expect(listed.map((object) => object.sha256).sort()).toEqual(contents.map(sha256).sort());

    // Removing one object leaves the others' metadata whole.
    await storage.deleteObject(writes[0]!.metadata.userId, results[0]!.objectId);
    expect(await storage.findObject(writes[0]!.metadata)).toBeNull();
    expect(await storage.findObject(writes[1]!.metadata)).toMatchObject({ sha256: writes[1]!.metadata.sha256 });
  });

  it("written again (a retry after a crash), keeps what is there: the same contents and metadata names", async () => {
    const storage = new LocalDirectoryStorage(root);
    const writes = await writesOf([randomBytes(100), randomBytes(200), randomBytes(300)]);
    await writeAll(storage, writes);
    const userDir = userDirOf(writes);
    const identities = async () =>
      Promise.all(
        (await readdir(userDir))
          .filter((name) => name !== ".tmp")
          .map(async (name) => [name, (await stat(path.join(userDir, name))).ino]),
      );
    const before = await identities();
    // The crash came after the second object's metadata was placed and before its content.
    await rm(path.join(userDir, `${writes[1]!.metadata.fileUUID}.v0`));
    const { results, failed } = await writeAll(storage, writes);
    expect(failed).toBeUndefined();
    expect(results).toHaveLength(3);
    expect(await identities()).toEqual(before);
  });

  it("replaces an object of the same key left with other content (an abandoned transfer's), metadata and content", async () => {
    const storage = new LocalDirectoryStorage(root);
    const [old] = await writesOf([randomBytes(500)]);
    await storage.writeObject(old!.metadata, () => Readable.from([]), { sourceFile: old!.sourceFile });
    const content = randomBytes(700);
    const [replacing] = await writesOf([content], old!.metadata.userId);
    replacing!.metadata.fileUUID = old!.metadata.fileUUID;
    const { results, failed } = await writeAll(storage, [replacing!]);
    expect(failed).toBeUndefined();
    const object = path.join(userDirOf([old!]), results[0]!.objectId);
    expect((await readFile(object)).equals(content)).toBe(true);
    expect(await storage.findObject(replacing!.metadata)).toMatchObject({ sha256: sha256(content), size: 700 });
  });

  it("a source of another size fails that write: the writes before it stand, none after it is made", async () => {
    const storage = new LocalDirectoryStorage(root);
    const writes = await writesOf([randomBytes(100), randomBytes(100), randomBytes(100), randomBytes(100)]);
    await writeFile(writes[2]!.sourceFile, randomBytes(99));
    const { results, failed } = await writeAll(storage, writes);
    expect(results.map((object) => object.fileUUID)).toEqual([
      writes[0]!.metadata.fileUUID,
      writes[1]!.metadata.fileUUID,
    ]);
    expect(failed).toMatchObject({ item: writes[2], error: { kind: "integrity" } });
    expect(await storage.findObject(writes[2]!.metadata)).toBeNull();
    expect(await storage.findObject(writes[3]!.metadata)).toBeNull();
    expect(await readdir(path.join(userDirOf(writes), ".tmp"))).toEqual([]);
  });

  it("a source gone with its object written (staging removed before a crash) finds the object; gone without one fails", async () => {
    const storage = new LocalDirectoryStorage(root);
    const writes = await writesOf([randomBytes(100), randomBytes(100)]);
    await writeAll(storage, [writes[0]!]);
    await rm(writes[0]!.sourceFile);
    await rm(writes[1]!.sourceFile);
    const { results, failed } = await writeAll(storage, writes);
    expect(results.map((object) => object.fileUUID)).toEqual([writes[0]!.metadata.fileUUID]);
    expect(failed).toMatchObject({ item: writes[1], error: { kind: "transient" } });
  });

  it("writes each object on its own where hard links cannot be made (EXDEV), copying the contents", async () => {
    const crossDevice = () => Promise.reject(Object.assign(new Error("EXDEV: cross-device link"), { code: "EXDEV" }));
    const storage = new LocalDirectoryStorage(root, { linkFile: crossDevice });
    const contents = [randomBytes(100), randomBytes(2000)];
    const writes = await writesOf(contents);
    const { results, failed } = await writeAll(storage, writes);
    expect(failed).toBeUndefined();
    for (const [index, write] of writes.entries()) {
      const object = path.join(userDirOf(writes), results[index]!.objectId);
      expect((await stat(object)).ino).not.toBe((await stat(write.sourceFile)).ino);
      expect((await readFile(object)).equals(contents[index]!)).toBe(true);
      expect(await storage.findObject(write.metadata)).toMatchObject({ sha256: sha256(contents[index]!) });
    }
    expect(await readdir(path.join(userDirOf(writes), ".tmp"))).toEqual([]);
  });
});
