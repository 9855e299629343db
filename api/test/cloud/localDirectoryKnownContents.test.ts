// The local cloud answers for the content it placed (knownSha256): a link to
// an object it wrote and checked, unchanged since, needs no second hash;
// the content written in place, replaced or removed since, or too small to
// be remembered, gets no answer, and is then hashed by the caller.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { knownContentMinBytes } from "../../src/cloud/KnownContents.ts";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import { DeferredDirectorySyncs } from "../../src/durability/DeferredDirectorySyncs.ts";

const root = mkdtempSync(path.join(tmpdir(), "smsync-cloud-known-"));

const metadataOf = (content: Buffer) => ({
  userId: randomUUID(),
  fileUUID: randomUUID(),
  version: 0,
  cloudFileName: "large.bin",
  mimeType: "application/octet-stream",
  sha256: createHash("sha256").update(content).digest("hex"),
  size: content.length,
});

/** A link to the object's content, as the inbound transfer makes one. */
async function linkTo(storage: LocalDirectoryStorage, userId: string, objectId: string): Promise<string> {
  const link = path.join(root, `link-${randomUUID()}`);
  expect(await storage.linkObject(userId, objectId, link)).toBe(true);
  return link;
}

describe("local directory backend, the content it placed", () => {
  it("knows the sha256 of a large object it wrote, through a link, until the content is written in place", async () => {
    const storage = new LocalDirectoryStorage(root);
    const content = randomBytes(knownContentMinBytes + 1);
    const metadata = metadataOf(content);
    const { objectId } = await storage.writeObject(metadata, () => Readable.from([content]));
    const link = await linkTo(storage, metadata.userId, objectId);
    expect(storage.knownSha256(metadata.userId, objectId, link)).toBe(metadata.sha256);

    appendFileSync(link, "x"); // through the link: the object's own bytes change too
    expect(storage.knownSha256(metadata.userId, objectId, link)).toBeUndefined();
  });

  it("knows the objects of a transfer's chunk, linked from their sources, until one is replaced", async () => {
    const storage = new LocalDirectoryStorage(root);
    const content = randomBytes(knownContentMinBytes * 2);
    const metadata = metadataOf(content);
    const sourceFile = path.join(root, `source-${randomUUID()}`);
    writeFileSync(sourceFile, content);
    const syncs = new DeferredDirectorySyncs();
    const { results } = await storage.writeObjectsFromFiles([{ sourceFile, metadata }], syncs);
    await syncs.flush();
    const { objectId } = results[0]!;
    const link = await linkTo(storage, metadata.userId, objectId);
    expect(storage.knownSha256(metadata.userId, objectId, link)).toBe(metadata.sha256);

    // Another file put under the object's name from outside: a link to it is another inode, of which nothing is known.
    const objectFile = path.join(root, metadata.userId, objectId);
    const other = path.join(root, `other-${randomUUID()}`);
    writeFileSync(other, content);
    renameSync(other, objectFile);
    expect(storage.knownSha256(metadata.userId, objectId, await linkTo(storage, metadata.userId, objectId))).toBe(
      undefined,
    );
  });

  it("does not remember small objects, nor removed ones", async () => {
    const storage = new LocalDirectoryStorage(root);
    const small = randomBytes(1000);
    const smallMetadata = metadataOf(small);
    const { objectId: smallId } = await storage.writeObject(smallMetadata, () => Readable.from([small]));
    expect(
      storage.knownSha256(smallMetadata.userId, smallId, await linkTo(storage, smallMetadata.userId, smallId)),
    ).toBeUndefined();

    const large = randomBytes(knownContentMinBytes);
    const metadata = metadataOf(large);
    const { objectId } = await storage.writeObject(metadata, () => Readable.from([large]));
    const link = await linkTo(storage, metadata.userId, objectId);
    await storage.deleteObject(metadata.userId, objectId);
    expect(storage.knownSha256(metadata.userId, objectId, link)).toBeUndefined();
  });
});
