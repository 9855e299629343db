// The batch paths of small files (docs/protocol.md, "Small files in
// batches"), over real HTTP: many files staged by one request and committed
// like tus uploads, staged downloads read many to a response, a cut request
// resumed without sending again what the server holds, and every bad input
// refused with its code and nothing written.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  batchEntry,
  downloadedFiles,
  errorBodyOf,
  eventually,
  heldOf,
  postDownloadBatch,
  postUploadBatch,
  refusedWithoutWrites,
  sha256Hex,
  startTestServer,
  uploadBatchBody,
  uploadBatchOf,
  type BatchEntry,
  type TestServer,
} from "@smsync/testkit";

let server: TestServer;
// Each block on its own server: a row count must not see another block's transfer still running.
function onOwnServer() {
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });
}

function smallFiles(count: number): BatchEntry[] {
  return Array.from({ length: count }, (_, i) => batchEntry(randomBytes(1 + ((i * 977) % 4096))));
}

/** The user's staged uploads: fileUUID to row id. */
async function stagedIds(userName: string): Promise<Map<string, string>> {
  const rows = await server.app.services.db.stagedUpload.findMany({
    where: { user: { name: userName } },
    orderBy: { fileUUID: "asc" },
  });
  return new Map(rows.map((row) => [row.fileUUID, row.id]));
}

/** Sends the first `bytes` bytes of a request body, waits until `cutWhen` holds, and breaks the connection. */
async function cutRequest(url: string, token: string, body: Buffer, bytes: number, cutWhen: () => Promise<boolean>) {
  const request = http.request(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-length": String(body.length) },
  });
  const closed = new Promise<void>((resolve) => request.on("close", resolve));
  request.on("error", () => undefined); // the cut itself
  request.write(body.subarray(0, bytes));
  await eventually("the server to record what came before the cut", cutWhen, (done) => done, 60_000);
  request.destroy();
  await closed;
}

describe("batch upload and download", () => {
  onOwnServer();
  it("stages 1,200 small files in two requests, commits them, and another device reads them back in two", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const { fencingToken } = await phone.lock();
    const entries = smallFiles(1200);
    for (const part of [entries.slice(0, 1000), entries.slice(1000)]) {
      const answer = await uploadBatchOf(server.url, phone.token!, fencingToken, part);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { files: unknown[] }).files).toHaveLength(part.length);
    }
    // Waits long: on a loaded machine (the whole suite on 2 cores) 1,200 durable cloud writes take minutes.
    const outbound = await phone.waitForOperation((await phone.commit(fencingToken)).id, 600_000);
    expect(outbound).toMatchObject({ state: "SUCCEEDED", filesDone: 1200 });
    const index = (await laptop.fileIndex()).files;
    expect(index).toHaveLength(1200);

    const lock = await laptop.lock();
    const wanted = entries.map((entry) => ({ fileUUID: entry.file.fileUUID, version: 0 }));
    const inbound = await laptop.waitForOperation(
      (await laptop.startInboundTransfer(lock.fencingToken, wanted)).id,
      600_000,
    );
    expect(inbound.state).toBe("SUCCEEDED");
    const received = [
      ...(await downloadedFiles(await postDownloadBatch(server.url, laptop.token!, wanted.slice(0, 1000)))),
      ...(await downloadedFiles(await postDownloadBatch(server.url, laptop.token!, wanted.slice(1000)))),
    ];
    expect(received.map((file) => file.fileUUID)).toEqual(wanted.map((file) => file.fileUUID));
    for (const [i, file] of received.entries()) {
      expect(sha256Hex(file.content)).toBe(entries[i]!.file.sha256);
      expect(file.sha256).toBe(entries[i]!.file.sha256);
    }
  }, 1_500_000);

  it("a request cut mid-way keeps the groups it recorded; the held check names them, and the rest goes up alone", async () => {
    const phone = await server.newUser();
    const { fencingToken } = await phone.lock();
    const entries = smallFiles(250);
    const body = uploadBatchBody(fencingToken, entries);
    // Cut after the 230th file's bytes: the server records files 100 at a time.
    const cutAt = body.length - entries.slice(230).reduce((sum, entry) => sum + entry.content.length, 0);
    // The server has recorded its first two groups (100 files each) and waits for the rest.
    await cutRequest(
      `${server.url}/upload-batches`,
      phone.token!,
      body,
      cutAt,
      async () => (await stagedIds(phone.userName)).size === 200,
    );
    const held = await heldOf(server.url, phone.token!, fencingToken, entries);
    expect(held).toEqual(entries.slice(0, 200).map((entry) => entry.file.fileUUID));
    const kept = await stagedIds(phone.userName);

    const rest = entries.filter((entry) => !held.includes(entry.file.fileUUID));
    expect((await uploadBatchOf(server.url, phone.token!, fencingToken, rest)).status).toBe(200);
    expect(await heldOf(server.url, phone.token!, fencingToken, entries)).toHaveLength(250);
    const operation = await phone.commit(fencingToken);
    expect(operation.filesTotal).toBe(250);
    // Each file staged once: the rows of the cut request are the ones committed, not written again.
    const committed = await stagedIds(phone.userName);
    for (const [fileUUID, id] of kept) expect(committed.get(fileUUID)).toBe(id);
  }, 120_000);

  it("a file sent again that the server holds is not written again", async () => {
    const phone = await server.newUser();
    const { fencingToken } = await phone.lock();
    const entries = smallFiles(3);
    expect((await uploadBatchOf(server.url, phone.token!, fencingToken, entries)).status).toBe(200);
    const rows = await stagedIds(phone.userName);
    expect((await uploadBatchOf(server.url, phone.token!, fencingToken, entries)).status).toBe(200);
    expect(await stagedIds(phone.userName)).toEqual(rows);
  });
});

describe("bad input to the batch paths is refused with its code, and nothing is written", () => {
  onOwnServer();
  async function refused(entries: BatchEntry[], body?: Buffer, token?: string) {
    const phone = await server.newUser();
    const { fencingToken } = await phone.lock();
    return refusedWithoutWrites(server.app.services.db, async () => {
      const answer = await postUploadBatch(
        server.url,
        token ?? phone.token!,
        body ?? uploadBatchBody(fencingToken, entries),
      );
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    });
  }

  it("a wrong sha256", async () => {
    const entry = batchEntry(randomBytes(100), { sha256: "0".repeat(64) });
    expect(await refused([entry])).toMatchObject({
      status: 460,
      body: { code: "CHECKSUM_MISMATCH", fileUUID: entry.file.fileUUID },
    });
  });

  it("fewer bytes than the head lists", async () => {
    const entries = smallFiles(3);
    const body = uploadBatchBody(7, entries);
    const answer = await refused(entries, body.subarray(0, body.length - 10));
    // The fencing token of this body is not the user's: the lock is checked before the bytes.
    expect(answer.status).toBeGreaterThanOrEqual(400);
  });

  it("fewer bytes than the head lists, under the caller's lock", async () => {
    const phone = await server.newUser();
    const { fencingToken } = await phone.lock();
    const entries = smallFiles(3);
    const body = uploadBatchBody(fencingToken, entries);
    const answer = await refusedWithoutWrites(server.app.services.db, async () => {
      const response = await postUploadBatch(server.url, phone.token!, body.subarray(0, body.length - 10));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    });
    expect(answer).toMatchObject({ status: 400, body: { code: "BAD_INPUT" } });
  });

  it("more bytes than the head lists", async () => {
    const phone = await server.newUser();
    const { fencingToken } = await phone.lock();
    const entries = smallFiles(2);
    const body = Buffer.concat([uploadBatchBody(fencingToken, entries), Buffer.from("extra")]);
    const answer = await refusedWithoutWrites(server.app.services.db, async () => {
      const response = await postUploadBatch(server.url, phone.token!, body);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    });
    expect(answer).toMatchObject({ status: 400, body: { code: "BAD_INPUT" } });
  });

  it("a file name that is not allowed", async () => {
    const entry = batchEntry(randomBytes(10), { cloudFileName: "a/b" });
    expect(await refused([entry])).toMatchObject({ status: 400, body: { code: "BAD_INPUT", field: "cloudFileName" } });
  });

  it("two files with one name, in any case", async () => {
    const entries = [
      batchEntry(randomBytes(10), { cloudFileName: "Notes.txt" }),
      batchEntry(randomBytes(10), { cloudFileName: "notes.TXT" }),
    ];
    expect(await refused(entries)).toMatchObject({ status: 409, body: { code: "CLOUD_NAME_TAKEN" } });
  });

  it("a version that is not the next one", async () => {
    expect(await refused([batchEntry(randomBytes(10), { version: 3 })])).toMatchObject({
      status: 409,
      body: { code: "WRONG_VERSION" },
    });
  });

  it("another user's batch: a device without the lock", async () => {
    const owner = await server.newUser();
    const { fencingToken } = await owner.lock();
    const stranger = await server.newUser();
    const body = uploadBatchBody(fencingToken, smallFiles(2));
    const answer = await refused([], body, stranger.token!);
    expect(answer.status).toBe(423);
    expect(answer.body.code).toMatch(/^LOCK_/);
  });

  it("no token", async () => {
    const answer = await refused([], uploadBatchBody(1, smallFiles(1)), "not-a-token");
    expect(answer).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
  });

  it("over the limits: a file too large for a batch, and too many files", async () => {
    const large = batchEntry(randomBytes(server.config.batchMaxFileBytes + 1));
    expect(await refused([large])).toMatchObject({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
    const many = Array.from({ length: server.config.batchMaxFiles + 1 }, () => batchEntry(Buffer.from("x")));
    expect(await refused(many)).toMatchObject({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
  });

  it("a head that is not framed JSON", async () => {
    const answer = await refused([], Buffer.from("12\n{not json!}"));
    expect(answer).toMatchObject({ status: 400, body: { code: "BAD_INPUT" } });
  });

  it("a batch download of files not staged for the caller answers NOT_FOUND", async () => {
    const phone = await server.newUser();
    const answer = await postDownloadBatch(server.url, phone.token!, [
      { fileUUID: "00000000-0000-4000-8000-000000000000", version: 0 },
    ]);
    expect(answer.status).toBe(404);
    expect(await errorBodyOf(answer)).toMatchObject({ code: "NOT_FOUND" });
  });
});
