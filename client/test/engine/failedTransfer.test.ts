// An outbound transfer that ends FAILED (the server's cloud refuses the
// writes): the engine commits again under the same grant to resume it; if it
// keeps failing, nonRecoverableError until resetFromError("server"), after
// which the batch is redone under a new grant; a transfer that failed because
// the user must sign in again stops at once (GOOGLE_SIGN_IN_REQUIRED).
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useEngineHarness } from "../support/engineHarness.ts";
import { useFaultyLocalCloud } from "../support/faultyLocalCloud.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";
import { sortedUUIDs } from "../support/uuids.ts";

const cloud = useFaultyLocalCloud();
const harness = useEngineHarness({ SMSYNC_TRANSFER_MAX_ATTEMPTS: "1" }, { cloud });

const text = { mimeType: "text/plain" };

it("a transfer that failed once is resumed by a second commit under the same grant", async () => {
  const phone = await harness.newUser();
  const a = await harness.openClient(phone);
  const uuid = randomUUID();
  const content = Buffer.from("written on the second try");
  await a.client.uploadData(uuid, content, { cloudFileName: "retry.txt", ...text });
  await a.client.commit();
  cloud.fail({ call: "write", kind: "permanent", times: 1, fileUUID: uuid });
  await a.client.sync();
  expect(cloud.failures.write).toBeGreaterThanOrEqual(1);
  expect(a.client.mode).toBe("idle");
  expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
  expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(content);
});

it("a transfer that keeps failing: nonRecoverableError, then resetFromError(server) and the batch is uploaded again", async () => {
  const phone = await harness.newUser();
  const a = await harness.openClient(phone);
  const uuid = randomUUID();
  const content = Buffer.from("refused by the cloud until it heals");
  await a.client.uploadData(uuid, content, { cloudFileName: "stuck.txt", ...text });
  await a.client.commit();
  cloud.fail({ call: "write", kind: "permanent", times: Infinity, fileUUID: uuid });
  await expect(a.client.sync()).rejects.toMatchObject({ code: "TRANSFER_FAILED" });
  expect(a.client.mode).toBe("nonRecoverableError");
  expect(await a.store.get("meta", "mode")).toBe("nonRecoverableError");
  expect((await phone.fileIndex()).files).toEqual([]);
  expect(await a.store.list("beingUploaded")).toHaveLength(1);

  cloud.heal();
  await a.client.resetFromError("server");
  expect(a.client.mode).toBe("idle");
  await a.client.sync();
  expect(a.client.mode).toBe("idle");
  expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
  expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(content);
  expect(await a.store.list("beingUploaded")).toEqual([]);
});

it("the user's cloud credentials refused: nonRecoverableError with GOOGLE_SIGN_IN_REQUIRED at once, no resume; after signing in again and resetFromError(server) the batch goes up", async () => {
  const phone = await harness.newUser();
  const a = await harness.openClient(phone);
  const uuid = randomUUID();
  const content = Buffer.from("waiting for the user to sign in again");
  await a.client.uploadData(uuid, content, { cloudFileName: "consent.txt", ...text });
  await a.client.commit();
  cloud.fail({ call: "write", kind: "authorization", times: Infinity, fileUUID: uuid });
  const writeFailuresBefore = cloud.failures.write;
  await expect(a.client.sync()).rejects.toMatchObject({
    code: "GOOGLE_SIGN_IN_REQUIRED",
    operation: { errorCode: "GOOGLE_SIGN_IN_REQUIRED" },
  });
  expect(a.client.mode).toBe("nonRecoverableError");
  expect(cloud.failures.write - writeFailuresBefore).toBe(1); // not committed again: a retry cannot help
  expect((await phone.fileIndex()).files).toEqual([]);

  cloud.heal(); // the user signed in again (a new refresh token on the server)
  await a.client.resetFromError("server");
  await a.client.sync();
  expect(a.client.mode).toBe("idle");
  expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
});

describe("a reset after the app kept its change over the server's deletion (keep-local)", () => {
  /** A and B hold a file; A deletes it; B's change meets the deletion, B keeps it, and B's transfer fails for good. */
  async function keptOverDeletionThenFailed() {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    const b = await harness.openClient(laptop, { resolveConflict: () => "keep-local" });
    const uuid = randomUUID();
    await a.client.uploadData(uuid, Buffer.from("version 0"), { cloudFileName: "kept.txt", ...text });
    await a.client.commit();
    await a.client.sync();
    await b.client.sync();
    await a.client.deleteFile(uuid);
    await a.client.commit();
    await a.client.sync();
    const mine = Buffer.from("B's change, kept over the deletion");
    await b.client.uploadData(uuid, mine, { cloudFileName: "kept.txt", ...text });
    await b.client.commit();
    cloud.fail({ call: "write", kind: "permanent", times: Infinity, fileUUID: uuid });
    await expect(b.client.sync()).rejects.toMatchObject({ code: "TRANSFER_FAILED" });
    expect(b.app.conflicts.map((conflict) => [conflict.fileUUID, conflict.remote.deleted])).toEqual([[uuid, true]]);
    cloud.heal();
    return { phone, b, uuid, mine };
  }

  it("resetFromError(all), the app queues its file again: accepted, resolveConflict is asked again, and keep-local undeletes it", async () => {
    const { phone, b, uuid, mine } = await keptOverDeletionThenFailed();
    await b.client.resetFromError("all");
    // The device's record is again what the server confirmed to it (v0, live): not a file it took in as deleted.
    expect(await b.store.get("files", uuid)).toMatchObject({ version: 0, deleted: false });
    expect((await b.store.get("files", uuid))?.heldBeforeKeepLocal).toBeUndefined();
    await b.client.uploadData(uuid, mine, { cloudFileName: "kept.txt", ...text }); // was FILE_DELETED
    await b.client.commit();
    await b.client.sync();
    expect(b.client.mode).toBe("idle");
    expect(b.app.conflicts).toHaveLength(2);
    expect((await phone.fileIndex()).files).toMatchObject([
      { fileUUID: uuid, version: 1, deleted: false, sha256: sha256Hex(mine) },
    ]);
    expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(mine);
  });

  it("resetFromError(all) and the app queues nothing again: the server's deletion reaches the app", async () => {
    const { phone, b, uuid } = await keptOverDeletionThenFailed();
    await b.client.resetFromError("all");
    await b.client.sync();
    expect(b.app.deleted.flat().map((entry) => entry.fileUUID)).toEqual([uuid]);
    expect(await b.store.get("files", uuid)).toMatchObject({ version: 0, deleted: true });
    expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, deleted: true }]);
  });

  it("resetFromError(server) keeps the choice: the batch is redone as an undelete, with no second question", async () => {
    const { phone, b, uuid, mine } = await keptOverDeletionThenFailed();
    await b.client.resetFromError("server");
    await b.client.sync();
    expect(b.app.conflicts).toHaveLength(1);
    expect((await phone.fileIndex()).files).toMatchObject([
      { fileUUID: uuid, version: 1, deleted: false, sha256: sha256Hex(mine) },
    ]);
    expect(await b.store.get("files", uuid)).toEqual({
      fileUUID: uuid,
      version: 1,
      sha256: sha256Hex(mine),
      cloudFileName: "kept.txt",
      mimeType: "text/plain",
      appMetaData: null,
      deleted: false,
    });
  });
});

it("a batch the server applied in part (its deletion indexed, its upload failed for good): after resetFromError(server) the upload is redone and the deletion confirmed as found on the server", async () => {
  const phone = await harness.newUser();
  const a = await harness.openClient(phone);
  // The transfer takes files in fileUUID order: the deletion before the upload.
  const [gone, written] = sortedUUIDs(2);
  await a.client.uploadData(gone, Buffer.from("to be deleted"), { cloudFileName: "gone.txt", ...text });
  await a.client.commit();
  await a.client.sync();
  const confirmed: unknown[] = [];
  const batchesDone: number[] = [];
  a.client.on("singleUploadComplete", (event) => confirmed.push(event));
  a.client.on("allUploadsComplete", (event) => batchesDone.push(event.batch));
  const content = Buffer.from("written after the reset");
  await a.client.deleteFile(gone);
  await a.client.uploadData(written, content, { cloudFileName: "written.txt", ...text });
  const batch = (await a.client.commit())!.batch;
  cloud.fail({ call: "write", kind: "permanent", times: Infinity, fileUUID: written });
  await expect(a.client.sync()).rejects.toMatchObject({ code: "TRANSFER_FAILED" });
  expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: gone, deleted: true }]);
  expect(confirmed).toEqual([]);

  cloud.heal();
  await a.client.resetFromError("server");
  await a.client.sync();
  expect(a.client.mode).toBe("idle");
  expect(confirmed).toEqual(
    expect.arrayContaining([
      { fileUUID: gone, version: 0, kind: "delete", batch, alreadyOnServer: true },
      { fileUUID: written, version: 0, kind: "upload", batch },
    ]),
  );
  expect(confirmed).toHaveLength(2);
  expect(batchesDone).toEqual([batch]);
  expect(await a.store.get("files", gone)).toMatchObject({ version: 0, deleted: true });
  expect((await phone.fileIndex()).files).toEqual(
    expect.arrayContaining([expect.objectContaining({ fileUUID: written, version: 0, sha256: sha256Hex(content) })]),
  );
});
