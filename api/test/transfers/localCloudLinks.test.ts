// The local cloud on the staging file system shares bytes by hard links
// rather than copying them: an outbound transfer links the staged upload
// into the cloud, an inbound one links the object into staging. Where a link
// cannot be made (EXDEV: another file system), both copy. A staged download
// is its own name of the bytes: removing the object from the cloud leaves
// it whole.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import { linkFile } from "../../src/cloud/hardLinks.ts";
import {
  committedFileForDownload,
  downloadUrlOf,
  type OperationResult,
  startTestServer,
  type TestServer,
} from "@smsync/testkit";

const cloudDir = mkdtempSync(path.join(tmpdir(), "smsync-links-cloud-"));
/** What the next links do: link, or fail as a link to another file system does. */
let linkFailure: "EXDEV" | null = null;
const links: { from: string; to: string; failed: boolean }[] = [];
let server: TestServer;

beforeAll(async () => {
  const cloud = new LocalDirectoryStorage(cloudDir, {
    async linkFile(from, to) {
      links.push({ from, to, failed: linkFailure !== null });
      if (linkFailure) throw Object.assign(new Error(`${linkFailure}: cross-device link`), { code: linkFailure });
      await linkFile(from, to);
    },
  });
  server = await startTestServer({}, { cloud });
});
afterAll(async () => {
  await server?.close();
  rmSync(cloudDir, { recursive: true, force: true });
});

/** A file committed by one device (its staged upload's inode noted before the commit) and staged for another. */
async function committedAndStaged(content: Buffer) {
  const { db, staging } = server.app.services;
  const linksBefore = links.length;
  const { laptop, userId, fileUUID, lock } = await committedFileForDownload(server, content);
  const entry = await db.fileEntry.findUniqueOrThrow({ where: { userId_fileUUID: { userId, fileUUID } } });
  const object = path.join(cloudDir, userId, entry.cloudObjectId!);
  const started = await laptop.startInboundTransfer(lock.fencingToken, [{ fileUUID, version: 0 }]);
  const op = await laptop.waitForOperation(started.id, 60_000);
  expect(op.state).toBe("SUCCEEDED");
  return {
    laptop,
    op,
    object,
    staged: staging.inboundPath(userId, fileUUID, 0),
    stagingUploadsDir: staging.uploadsDir,
    // The links of contents (a batch's metadata file is linked to each object's metadata name too).
    links: links.slice(linksBefore).filter((link) => !link.from.endsWith(".objects.json")),
    userId,
    objectId: entry.cloudObjectId!,
  };
}

async function downloaded(laptop: { token: string | null }, op: OperationResult): Promise<Buffer> {
  const response = await fetch(downloadUrlOf(op), { headers: { authorization: `Bearer ${laptop.token}` } });
  expect(response.status).toBe(200);
  return buffer(response.body as unknown as AsyncIterable<Buffer>);
}

describe("the local cloud on the staging file system", () => {
  it("links the staged upload into the cloud and the object into staging: one inode, no copy", async () => {
    linkFailure = null;
    const content = randomBytes(20_000);
    const { laptop, op, object, staged, stagingUploadsDir, links: made } = await committedAndStaged(content);
    // Outbound: from the staged upload to the object's name; inbound: from the object to staging's.
    expect(made.map((link) => [path.dirname(link.from) === stagingUploadsDir, link.failed])).toEqual([
      [true, false],
      [false, false],
    ]);
    expect(made[1]!.from).toBe(object);
    const [objectInfo, stagedInfo] = await Promise.all([stat(object), stat(staged)]);
    expect(stagedInfo.ino).toBe(objectInfo.ino);
    // The staged upload's name was removed after the transfer: the object and the staged download are left.
    expect(objectInfo.nlink).toBe(2);
    expect((await downloaded(laptop, op)).equals(content)).toBe(true);
  });

  it("copies where a link cannot be made (EXDEV)", async () => {
    linkFailure = "EXDEV";
    const content = randomBytes(20_000);
    const { laptop, op, object, staged, links: tried } = await committedAndStaged(content);
    expect(tried.map((link) => link.failed)).toEqual([true, true]);
    const [objectInfo, stagedInfo] = await Promise.all([stat(object), stat(staged)]);
    expect(stagedInfo.ino).not.toBe(objectInfo.ino);
    expect([objectInfo.nlink, stagedInfo.nlink]).toEqual([1, 1]);
    expect((await downloaded(laptop, op)).equals(content)).toBe(true);
  });

  it("serves a staged download whose cloud object was removed since", async () => {
    linkFailure = null;
    const content = randomBytes(20_000);
    const { laptop, op, object, staged, userId, objectId } = await committedAndStaged(content);
    expect((await stat(staged)).ino).toBe((await stat(object)).ino);
    await server.app.services.cloud.deleteObject(userId, objectId);
    await expect(stat(object)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await downloaded(laptop, op)).equals(content)).toBe(true);
  });
});
