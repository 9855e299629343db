// What a write costs in Drive requests (docs/google-drive.md): a small file
// one multipart request, a large one a session and its chunks, and a look
// for the file of the object's key only when an earlier attempt at the write
// may have made it: a try whose outcome is unknown, or a session record that
// says a write began (a process killed after Drive stored the file).
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CloudStorageError } from "../../src/cloud/CloudStorageError.ts";
import { oneRequestUploadSent } from "../../src/cloud/googleDrive/GoogleDriveStorage.ts";
import { multipartMaxBytes } from "../../src/cloud/googleDrive/multipartUpload.ts";
import { driveFaults } from "@smsync/testkit/fakeGoogleDrive";
import { driveTestFile, memoryRecord, quantum, startGoogleDriveFixture } from "../support/googleDriveFixture.ts";
import { sha256Hex } from "@smsync/testkit";

const fixture = await startGoogleDriveFixture();
const { drive } = fixture;
afterAll(() => fixture.close());
beforeEach(() => drive.faults.clear());

/** A file in the folder notes. */
function fileOf(userId: string, content: Buffer) {
  const file = driveTestFile(userId, content, { version: 3, mimeType: "text/plain" });
  file.metadata.cloudFileName = `notes%2F${file.metadata.fileUUID}.txt`; // notes/<fileUUID>.txt
  return file;
}

/** A user whose app folder and the folder of the files' path exist, so a write's requests are its own. */
async function userWithFolders(options?: Parameters<typeof fixture.storage>[0]) {
  const userId = await fixture.newUser();
  const storage = fixture.storage(options);
  const warmUp = fileOf(userId, Buffer.from("warm-up"));
  await storage.writeObject(warmUp.metadata, warmUp.content);
  return { userId, storage };
}

function driveFilesOf(userId: string, fileUUID: string) {
  return drive.filesOf(userId).filter((file) => file.appProperties.fileUUID === fileUUID);
}

function expectOneFile(userId: string, fileUUID: string, content: Buffer) {
  const files = driveFilesOf(userId, fileUUID);
  expect(files).toHaveLength(1);
  expect(files[0]!.content.equals(content)).toBe(true);
  return files[0]!;
}

/** `kind status` of each request since `from`. */
function requestsSince(from: number): string[] {
  return drive.log.slice(from).map((entry) => `${entry.kind} ${entry.status}`);
}

describe("Google Drive backend: requests per write", () => {
  for (const [name, content] of [
    ["a 30-byte file", randomBytes(30)],
    ["an empty file", Buffer.alloc(0)],
    ["a file of the one-request ceiling", randomBytes(quantum)],
  ] as const) {
    it(`writes ${name} in one multipart request, with the appProperties the lookup finds it by`, async () => {
      const { userId, storage } = await userWithFolders();
      const file = fileOf(userId, content);
      const from = drive.log.length;
      const written = await storage.writeObject(file.metadata, file.content);
      expect(drive.requestCounts({ from })).toEqual({ multipartUpload: 1 });
      expect(requestsSince(from)).toEqual(["multipartUpload 200"]);
      const stored = expectOneFile(userId, file.metadata.fileUUID, content);
      expect(stored).toMatchObject({
        name: `${file.metadata.fileUUID}.txt`,
        mimeType: "text/plain",
        md5Checksum: createHash("md5").update(content).digest("hex"),
        appProperties: { fileUUID: file.metadata.fileUUID, version: "3", sha256: file.metadata.sha256, userId },
      });
      expect(written).toMatchObject({ objectId: stored.id, size: content.length, sha256: file.metadata.sha256 });
      expect(await fixture.storage().findObject(file.metadata)).toMatchObject({ objectId: stored.id });
    });
  }

  it("writes a larger file over a resumable session without looking for it first", async () => {
    const { userId, storage } = await userWithFolders();
    const content = randomBytes(3 * quantum + 10);
    const file = fileOf(userId, content);
    const from = drive.log.length;
    await storage.writeObject(file.metadata, file.content);
    expect(drive.requestCounts({ from })).toEqual({ startUpload: 1, uploadChunk: 4 });
    expectOneFile(userId, file.metadata.fileUUID, content);
  });

  it("takes Drive's 5 MiB multipart ceiling by default: 5 MiB in one request, a byte more resumable", async () => {
    const { userId, storage } = await userWithFolders({ chunkSize: 8 * 1024 * 1024, oneRequestMaxBytes: undefined });
    const atCeiling = fileOf(userId, randomBytes(multipartMaxBytes));
    const over = fileOf(userId, randomBytes(multipartMaxBytes + 1));
    let from = drive.log.length;
    await storage.writeObject(atCeiling.metadata, atCeiling.content);
    expect(drive.requestCounts({ from })).toEqual({ multipartUpload: 1 });
    from = drive.log.length;
    await storage.writeObject(over.metadata, over.content);
    expect(drive.requestCounts({ from })).toEqual({ startUpload: 1, uploadChunk: 1 });
  });

  it("refuses a one-request ceiling above Drive's", () => {
    expect(() => fixture.storage({ oneRequestMaxBytes: multipartMaxBytes + 1 })).toThrow(/at most/);
  });
});

describe("Google Drive backend: a one-request upload whose outcome is unknown", () => {
  for (const [name, fault] of [
    ["its answer is lost", driveFaults.loseAnswer()],
    ["Drive answers 500 after storing it", driveFaults.failAfterServing(500)],
  ] as const) {
    it(`is found, not sent again, when ${name}`, async () => {
      const { userId, storage } = await userWithFolders();
      const content = randomBytes(1000);
      const file = fileOf(userId, content);
      drive.injectFault({ on: "multipartUpload", fault });
      const from = drive.log.length;
      const written = await storage.writeObject(file.metadata, file.content);
      const lost = name === "its answer is lost" ? "answerLost" : "500";
      expect(requestsSince(from)).toEqual([`multipartUpload ${lost}`, "listFiles 200"]);
      expect(written.objectId).toBe(expectOneFile(userId, file.metadata.fileUUID, content).id);
    });
  }

  it("is sent again after a 503 that stored nothing, once the lookup found nothing", async () => {
    const { userId, storage } = await userWithFolders();
    const content = randomBytes(1000);
    const file = fileOf(userId, content);
    drive.injectFault({ on: "multipartUpload", fault: driveFaults.serverError(503) });
    const from = drive.log.length;
    await storage.writeObject(file.metadata, file.content);
    expect(requestsSince(from)).toEqual(["multipartUpload 503", "listFiles 200", "multipartUpload 200"]);
    expectOneFile(userId, file.metadata.fileUUID, content);
  });

  it("is sent again without a lookup after a rate limit: Drive refused it", async () => {
    const { userId, storage } = await userWithFolders();
    const content = randomBytes(1000);
    const file = fileOf(userId, content);
    drive.injectFault({ on: "multipartUpload", fault: driveFaults.tooManyRequests(1) });
    const from = drive.log.length;
    await storage.writeObject(file.metadata, file.content);
    expect(requestsSince(from)).toEqual(["multipartUpload 429", "multipartUpload 200"]);
    expectOneFile(userId, file.metadata.fileUUID, content);
  });

  it("is found by a process started again after one killed once Drive stored it (the session record says it was sent)", async () => {
    const { userId, storage } = await userWithFolders();
    const content = randomBytes(1000);
    const file = fileOf(userId, content);
    const { saved, record } = memoryRecord();
    // The first process sends the file (recording that it did) and dies before the index records it.
    const first = await storage.writeObject(file.metadata, file.content, { session: record });
    expect(saved).toEqual([oneRequestUploadSent]);
    let contentRead = false;
    const from = drive.log.length;
    const again = await fixture.storage().writeObject(
      file.metadata,
      () => {
        contentRead = true;
        return file.content();
      },
      { session: record },
    );
    // The app folder checked by its recorded id (a new process), then the lookup: no upload.
    expect(requestsSince(from)).toEqual(["getFile 200", "listFiles 200"]);
    expect(contentRead).toBe(false);
    expect(again.objectId).toBe(first.objectId);
    expectOneFile(userId, file.metadata.fileUUID, content);
  });

  it("is sent after a lookup when the process died before Drive stored it", async () => {
    const { userId, storage } = await userWithFolders();
    const content = randomBytes(1000);
    const file = fileOf(userId, content);
    const { saved, record } = memoryRecord();
    await record.save(oneRequestUploadSent);
    const from = drive.log.length;
    await storage.writeObject(file.metadata, file.content, { session: record });
    expect(requestsSince(from)).toEqual(["listFiles 200", "multipartUpload 200"]);
    expect(saved).toEqual([oneRequestUploadSent]);
    expectOneFile(userId, file.metadata.fileUUID, content);
  });

  it("looks first when the caller says an earlier attempt may have written the key (a given-up batch)", async () => {
    const { userId, storage } = await userWithFolders();
    const abandoned = fileOf(userId, Buffer.from("the given-up batch's content"));
    await storage.writeObject(abandoned.metadata, abandoned.content);
    const content = Buffer.from("the content committed again");
    const file = fileOf(userId, content);
    file.metadata.fileUUID = abandoned.metadata.fileUUID;
    const from = drive.log.length;
    await storage.writeObject(file.metadata, file.content, { mayAlreadyExist: true });
    expect(requestsSince(from)).toEqual(["listFiles 200", "deleteFile 204", "multipartUpload 200"]);
    expectOneFile(userId, file.metadata.fileUUID, content);
  });
});

describe("Google Drive backend: one-request upload integrity", () => {
  it("fails with kind integrity when Drive's md5 does not match, and removes the file", async () => {
    const { userId, storage } = await userWithFolders();
    const file = fileOf(userId, randomBytes(1000));
    drive.injectFault({ on: "multipartUpload", fault: driveFaults.wrongMd5() });
    const error = await storage.writeObject(file.metadata, file.content).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudStorageError);
    expect((error as CloudStorageError).kind).toBe("integrity");
    expect(driveFilesOf(userId, file.metadata.fileUUID)).toHaveLength(0);
  });

  it("sends nothing when the content is longer, shorter or other than declared", async () => {
    const { userId, storage } = await userWithFolders();
    const content = randomBytes(1000);
    const file = fileOf(userId, content);
    const from = drive.log.length;
    for (const metadata of [
      { ...file.metadata, size: 999 },
      { ...file.metadata, size: 1001 },
      { ...file.metadata, sha256: sha256Hex(Buffer.from("other")) },
    ]) {
      const error = await storage.writeObject(metadata, file.content).catch((e: unknown) => e);
      expect((error as CloudStorageError).kind).toBe("integrity");
    }
    expect(drive.log.slice(from)).toEqual([]);
  });
});

describe("the fake Drive's multipart upload", () => {
  async function post(body: string, contentType: string, query = "") {
    const userId = await fixture.newUser();
    const token = drive.issueToken(userId);
    const answer = await fetch(`${drive.url}/upload/drive/v3/files?uploadType=multipart${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": contentType },
      body,
    });
    return { status: answer.status, json: (await answer.json()) as Record<string, unknown> };
  }

  const body =
    '--b\r\nContent-Type: application/json\r\n\r\n{"name":"a.txt"}\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n';

  it("answers Drive's default fields without `fields`, and those asked for with it", async () => {
    expect(Object.keys((await post(body, "multipart/related; boundary=b")).json).sort()).toEqual(
      ["id", "kind", "mimeType", "name"].sort(),
    );
    const { json } = await post(body, "multipart/related; boundary=b", "&fields=id,size,md5Checksum");
    expect(json).toMatchObject({ size: "5", md5Checksum: createHash("md5").update("hello").digest("hex") });
    expect(Object.keys(json).sort()).toEqual(["id", "md5Checksum", "size"]);
  });

  it("refuses a body that is not metadata and media", async () => {
    expect((await post(body, "multipart/related; boundary=other")).status).toBe(400);
    expect((await post(body, "application/json")).status).toBe(400);
  });
});
