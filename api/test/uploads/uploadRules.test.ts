// An upload creation must come from an authenticated device that holds the
// lock under its current fencing token, and follow the file index rules
// (SPEC section 2). Each refusal is a typed JSON error and writes nothing.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  encodeMetadata,
  matchers,
  refusedWithoutWrites,
  rowCounts,
  type TestGraphQLClient,
  tusUpload,
  uploadMetadata,
  type UploadSpec,
  useTestServer,
} from "@smsync/testkit";

const server = useTestServer();

function create(authorization: string | null, spec: UploadSpec & { fileUUID: string }) {
  return fetch(`${server.url}/uploads`, {
    method: "POST",
    headers: {
      "Tus-Resumable": "1.0.0",
      ...(authorization ? { authorization } : {}),
      "Upload-Length": String(spec.content.length),
      "Upload-Metadata": encodeMetadata(uploadMetadata(spec)),
    },
  });
}

async function stagedCount(userName: string): Promise<number> {
  const { db } = server.app.services;
  const userId = (await db.user.findUniqueOrThrow({ where: { name: userName } })).id;
  return db.stagedUpload.count({ where: { userId } });
}

/** A creation the server must refuse: its answer, and nothing written (the row counts unchanged). */
async function expectRefused(call: () => Promise<Response>, status: number, code: string) {
  const response = await refusedWithoutWrites(server.app.services.db, call);
  expect(response.status).toBe(status);
  expect(response.headers.get("location")).toBeNull();
  expect(await response.json()).toMatchObject({ code, message: matchers.any(String) });
}

/** Uploads and commits one version of a file, under the device's lock (taken or renewed). */
async function commitFile(device: TestGraphQLClient, spec: Omit<UploadSpec, "fencingToken"> & { fileUUID: string }) {
  const { fencingToken } = await device.lock();
  await tusUpload(server.url, device.token!, { ...spec, fencingToken });
  const done = await device.waitForOperation((await device.commit(fencingToken)).id);
  expect(done.state).toBe("SUCCEEDED");
}

const content = Buffer.from("content\n");

/** A creation by the device under its grant: a new file (version 0) with `content`, unless `spec` says otherwise. */
function createAs(
  device: TestGraphQLClient,
  spec: Partial<UploadSpec & { fileUUID: string }> & { fencingToken: number },
) {
  return create(`Bearer ${device.token}`, { fileUUID: randomUUID(), version: 0, content, ...spec });
}

describe("who may create an upload", () => {
  it("answers 401 without a token, with an unknown token, and with a revoked one", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const spec = { fileUUID: randomUUID(), version: 0, content, fencingToken };
    await expectRefused(() => create(null, spec), 401, "UNAUTHENTICATED");
    await expectRefused(() => create("Bearer smsync_not-a-real-token", spec), 401, "UNAUTHENTICATED");
    await expectRefused(() => create("Bearer nonsense", spec), 401, "UNAUTHENTICATED");
    await server.app.services.db.$transaction((tx) =>
      tx.token.updateMany({ data: { revokedAt: new Date() }, where: { device: { user: { name: device.userName } } } }),
    );
    await expectRefused(() => create(`Bearer ${device.token}`, spec), 401, "UNAUTHENTICATED");
    expect(await stagedCount(device.userName)).toBe(0);
  });

  it("answers 423 LOCK_REQUIRED to a device that never called lock", async () => {
    const device = await server.newUser();
    await expectRefused(
      () => create(`Bearer ${device.token}`, { fileUUID: randomUUID(), version: 0, content, fencingToken: 1 }),
      423,
      "LOCK_REQUIRED",
    );
    expect(await stagedCount(device.userName)).toBe(0);
  });

  it("answers 423 LOCK_REQUIRED to a device of the user while another one holds the lock", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const { fencingToken } = await phone.lock();
    await expectRefused(() => createAs(laptop, { fencingToken }), 423, "LOCK_REQUIRED");
    expect(await stagedCount(phone.userName)).toBe(0);
  });

  it("answers 409 STALE_FENCING_TOKEN once another device took over the expired lock", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const { fencingToken } = await phone.lock(60);
    server.clock.advance(60_000);
    const taken = await laptop.lock();
    expect(taken.fencingToken).toBe(fencingToken + 1);
    await expectRefused(() => createAs(phone, { fencingToken }), 409, "STALE_FENCING_TOKEN");
    expect(await stagedCount(phone.userName)).toBe(0);
  });

  it("answers 409 STALE_FENCING_TOKEN to the holder giving a token other than its current one", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    await expectRefused(() => createAs(device, { fencingToken: fencingToken + 5 }), 409, "STALE_FENCING_TOKEN");
    expect(await stagedCount(device.userName)).toBe(0);
  });
});

describe("the file index rules of an upload", () => {
  it("answers 409 WRONG_VERSION unless the version is the index version + 1", async () => {
    const device = await server.newUser();
    const fileUUID = randomUUID();
    let { fencingToken } = await device.lock();
    // A new file starts at version 0.
    await expectRefused(
      () => create(`Bearer ${device.token}`, { fileUUID, version: 1, content, fencingToken }),
      409,
      "WRONG_VERSION",
    );
    await commitFile(device, { fileUUID, version: 0, content });
    ({ fencingToken } = await device.lock());
    const before = await rowCounts(server.app.services.db);
    for (const version of [0, 2]) {
      const response = await create(`Bearer ${device.token}`, { fileUUID, version, content, fencingToken });
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ code: "WRONG_VERSION", expectedVersion: 1 });
    }
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(await stagedCount(device.userName)).toBe(0);
    expect((await create(`Bearer ${device.token}`, { fileUUID, version: 1, content, fencingToken })).status).toBe(201);
  });

  it("answers 409 CLOUD_NAME_TAKEN for the name of another live file, committed or staged in the batch", async () => {
    const device = await server.newUser();
    await commitFile(device, { fileUUID: randomUUID(), version: 0, content, cloudFileName: "taken.txt" });
    const { fencingToken } = await device.lock();
    await expectRefused(() => createAs(device, { fencingToken, cloudFileName: "taken.txt" }), 409, "CLOUD_NAME_TAKEN");
    expect(await stagedCount(device.userName)).toBe(0);

    expect((await createAs(device, { fencingToken, cloudFileName: "new.txt" })).status).toBe(201);
    await expectRefused(() => createAs(device, { fencingToken, cloudFileName: "new.txt" }), 409, "CLOUD_NAME_TAKEN");
    expect(await stagedCount(device.userName)).toBe(1);
  });

  it("answers 409 CLOUD_NAME_TAKEN for a name that differs from a live file's only in case or Unicode normalization", async () => {
    const device = await server.newUser();
    const cafe = randomUUID();
    // Sent in NFD (as macOS spells it), stored in NFC.
    await commitFile(device, { fileUUID: cafe, version: 0, content, cloudFileName: "cafe\u0301.txt" });
    await commitFile(device, { fileUUID: randomUUID(), version: 0, content, cloudFileName: "Report.txt" });
    expect((await device.fileIndex()).files.find((file) => file.fileUUID === cafe)?.cloudFileName).toBe(
      "caf\u00e9.txt",
    );
    const { fencingToken } = await device.lock();
    for (const cloudFileName of ["caf\u00e9.txt", "CAFE\u0301.TXT", "report.txt", "REPORT.TXT"]) {
      await expectRefused(() => createAs(device, { fencingToken, cloudFileName }), 409, "CLOUD_NAME_TAKEN");
    }
    // Within the batch too: a staged upload's name is taken for the others.
    expect((await createAs(device, { fencingToken, cloudFileName: "Notes.md" })).status).toBe(201);
    await expectRefused(() => createAs(device, { fencingToken, cloudFileName: "notes.MD" }), 409, "CLOUD_NAME_TAKEN");
    expect(await stagedCount(device.userName)).toBe(1);
    // The file itself may change the case of its own name.
    expect(
      (await createAs(device, { fileUUID: cafe, version: 1, fencingToken, cloudFileName: "CAF\u00c9.txt" })).status,
    ).toBe(201);
  });

  it("lets case twins made before names were compared by key keep their names, and makes no new twin", async () => {
    const device = await server.newUser();
    const upper = randomUUID();
    await commitFile(device, { fileUUID: upper, version: 0, content, cloudFileName: "Twin.txt" });
    // A twin from an older server: written into the index directly.
    const { db } = server.app.services;
    const row = await db.fileEntry.findFirstOrThrow({ where: { fileUUID: upper } });
    const lower = randomUUID();
    await db.$transaction((tx) =>
      tx.fileEntry.create({ data: { ...row, fileUUID: lower, cloudFileName: "twin.txt", cloudObjectId: null } }),
    );
    const { fencingToken } = await device.lock();
    expect(
      (await createAs(device, { fileUUID: lower, version: 1, fencingToken, cloudFileName: "twin.txt" })).status,
    ).toBe(201);
    await expectRefused(
      () => createAs(device, { fileUUID: upper, version: 1, fencingToken, cloudFileName: "TWIN.txt" }),
      409,
      "CLOUD_NAME_TAKEN",
    );
    await expectRefused(() => createAs(device, { fencingToken, cloudFileName: "TWIN.TXT" }), 409, "CLOUD_NAME_TAKEN");
  });

  it("answers 409 FILE_DELETED for a deleted file, and takes the upload with undelete=true", async () => {
    const device = await server.newUser();
    const fileUUID = randomUUID();
    await commitFile(device, { fileUUID, version: 0, content, cloudFileName: "gone.txt" });
    let { fencingToken } = await device.lock();
    await device.deleteFiles(fencingToken, [{ fileUUID, version: 0 }]);
    expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([{ fileUUID, version: 0, deleted: true }]);

    ({ fencingToken } = await device.lock());
    await expectRefused(
      () =>
        create(`Bearer ${device.token}`, { fileUUID, version: 1, content, fencingToken, cloudFileName: "gone.txt" }),
      409,
      "FILE_DELETED",
    );
    expect(await stagedCount(device.userName)).toBe(0);

    const restored = Buffer.from("restored\n");
    await tusUpload(server.url, device.token!, {
      fileUUID,
      version: 1,
      content: restored,
      fencingToken,
      cloudFileName: "gone.txt",
      undelete: true,
    });
    expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
    expect((await device.fileIndex()).files).toMatchObject([
      { fileUUID, version: 1, deleted: false, size: restored.length },
    ]);
  });
});
