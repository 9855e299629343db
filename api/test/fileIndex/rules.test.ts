// The rules of the original, each a typed error with nothing written.
import { randomUUID } from "node:crypto";
import { assert, describe, expect, it } from "vitest";
import {
  batchEntry,
  operationFields,
  rowCounts,
  type Schema,
  TestGraphQLClient,
  type TestServer,
  tusUpload,
  uploadBatchOf,
  useTestServer,
} from "@smsync/testkit";

const server = useTestServer();

type Device = Awaited<ReturnType<TestServer["newUser"]>>;

const deleteFiles = `mutation($key: String!, $t: Int!, $files: [FileVersionInput!]!) { deleteFiles(idempotencyKey: $key, fencingToken: $t, files: $files) { fileUUID } }`;
const commit = `mutation($key: String!, $t: Int!) { commit(idempotencyKey: $key, fencingToken: $t) { id } }`;
const inbound = `mutation($key: String!, $t: Int!, $files: [FileVersionInput!]!) { startInboundTransfer(idempotencyKey: $key, fencingToken: $t, files: $files) { ${operationFields} } }`;

/** The error code of a call that must fail and write nothing. */
async function rejectedWithoutWrites(
  device: Device,
  query: string,
  variables: Record<string, unknown>,
): Promise<string | undefined> {
  const before = await rowCounts(server.app.services.db);
  const code = await device.errorCode(query, { key: randomUUID(), ...variables });
  expect(await rowCounts(server.app.services.db)).toEqual(before);
  return code;
}

async function commitFile(device: Device, spec: { fileUUID?: string; version?: number; cloudFileName?: string } = {}) {
  const { fencingToken } = await device.lock();
  const { fileUUID } = await tusUpload(server.url, device.token!, {
    version: spec.version ?? 0,
    fileUUID: spec.fileUUID,
    cloudFileName: spec.cloudFileName,
    content: Buffer.from(randomUUID()),
    fencingToken,
  });
  const op = await device.waitForOperation((await device.commit(fencingToken)).id);
  expect(op.state).toBe("SUCCEEDED");
  return fileUUID;
}

describe("upload-deletions", () => {
  it("rejects an unknown file, a deleted file, a wrong version, and a malformed fileUUID", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    const { fencingToken } = await device.lock();
    expect(
      await rejectedWithoutWrites(device, deleteFiles, {
        t: fencingToken,
        files: [{ fileUUID: randomUUID(), version: 0 }],
      }),
    ).toBe("UNKNOWN_FILE");
    expect(
      await rejectedWithoutWrites(device, deleteFiles, { t: fencingToken, files: [{ fileUUID, version: 3 }] }),
    ).toBe("WRONG_VERSION");
    expect(
      await rejectedWithoutWrites(device, deleteFiles, {
        t: fencingToken,
        files: [{ fileUUID: "../../etc/passwd", version: 0 }],
      }),
    ).toBe("BAD_INPUT");
    expect(
      await rejectedWithoutWrites(device, deleteFiles, {
        t: fencingToken,
        files: [{ fileUUID: `${fileUUID}\u0000`, version: 0 }],
      }),
    ).toBe("BAD_INPUT");
    expect(await rejectedWithoutWrites(device, deleteFiles, { t: fencingToken, files: [] })).toBe("BAD_INPUT");
    // All or nothing: one bad file in a batch records none.
    expect(
      await rejectedWithoutWrites(device, deleteFiles, {
        t: fencingToken,
        files: [
          { fileUUID, version: 0 },
          { fileUUID: randomUUID(), version: 0 },
        ],
      }),
    ).toBe("UNKNOWN_FILE");

    await device.deleteFiles(fencingToken, [{ fileUUID, version: 0 }]);
    await device.waitForOperation((await device.commit(fencingToken)).id);
    const again = await device.lock();
    expect(
      await rejectedWithoutWrites(device, deleteFiles, { t: again.fencingToken, files: [{ fileUUID, version: 0 }] }),
    ).toBe("ALREADY_DELETED");
  });

  it("needs the lock", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    expect(await rejectedWithoutWrites(device, deleteFiles, { t: 1, files: [{ fileUUID, version: 0 }] })).toBe(
      "LOCK_REQUIRED",
    );
  });

  it("records a batch of 1,000 deletions (several statements' worth) all or nothing, and once under a grant", async () => {
    const device = await server.newUser();
    const grant = await device.lock();
    const entries = Array.from({ length: 1000 }, (_, i) => batchEntry(Buffer.from(`file ${i}`)));
    expect((await uploadBatchOf(server.url, device.token!, grant.fencingToken, entries)).status).toBe(200);
    expect((await device.waitForOperation((await device.commit(grant.fencingToken)).id, 60_000)).state).toBe(
      "SUCCEEDED",
    );
    const files = entries.map((entry) => ({ fileUUID: entry.file.fileUUID, version: 0 }));
    const { fencingToken } = await device.lock();
    // One wrong version, far into the batch: nothing of it is recorded.
    const wrong = files.map((file, i) => (i === 900 ? { ...file, version: 1 } : file));
    expect(await rejectedWithoutWrites(device, deleteFiles, { t: fencingToken, files: wrong })).toBe("WRONG_VERSION");

    await device.deleteFiles(fencingToken, files);
    const { db } = server.app.services;
    const { id: userId } = await db.user.findUniqueOrThrow({ where: { name: device.userName } });
    const recorded = () => db.uploadDeletion.count({ where: { userId, fencingToken } });
    expect(await recorded()).toBe(1000);
    // Sent again under the same grant (a new key: not a replay): the records stay as they are.
    await device.deleteFiles(fencingToken, files);
    expect(await recorded()).toBe(1000);
    expect((await device.waitForOperation((await device.commit(fencingToken)).id, 60_000)).state).toBe("SUCCEEDED");
    const index = await db.fileEntry.findMany({ where: { userId } });
    expect(index.filter((entry) => entry.deleted)).toHaveLength(1000);
  });

  it("refuses to delete a file that has a staged upload in the same batch, with its own code", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    const { fencingToken } = await device.lock();
    await tusUpload(server.url, device.token!, { fileUUID, version: 1, content: Buffer.from("v1"), fencingToken });
    expect(
      await rejectedWithoutWrites(device, deleteFiles, { t: fencingToken, files: [{ fileUUID, version: 0 }] }),
    ).toBe("UPLOAD_AND_DELETION_IN_BATCH");
  });

  it("refuses an upload of a file whose deletion is in the same batch, with the same code", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    const { fencingToken } = await device.lock();
    await device.deleteFiles(fencingToken, [{ fileUUID, version: 0 }]);
    const before = await rowCounts(server.app.services.db);
    await expect(
      tusUpload(server.url, device.token!, { fileUUID, version: 1, content: Buffer.from("v1"), fencingToken }),
    ).rejects.toThrow(/UPLOAD_AND_DELETION_IN_BATCH/);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });
});

describe("commit", () => {
  it("refuses an empty batch with NOTHING_TO_COMMIT", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    expect(await rejectedWithoutWrites(device, commit, { t: fencingToken })).toBe("NOTHING_TO_COMMIT");
  });

  it("refuses a batch with an upload that has not received all its bytes", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    // Create the upload, send no bytes.
    const created = await fetch(`${server.url}/uploads`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${device.token}`,
        "tus-resumable": "1.0.0",
        "upload-length": "10",
        "upload-metadata": [
          `fileUUID ${Buffer.from(randomUUID()).toString("base64")}`,
          `version ${Buffer.from("0").toString("base64")}`,
          `sha256 ${Buffer.from("a".repeat(64)).toString("base64")}`,
          `cloudFileName ${Buffer.from("partial.bin").toString("base64")}`,
          `mimeType ${Buffer.from("application/octet-stream").toString("base64")}`,
          `fencingToken ${Buffer.from(String(fencingToken)).toString("base64")}`,
        ].join(","),
      },
    });
    expect(created.status).toBe(201);
    expect(await rejectedWithoutWrites(device, commit, { t: fencingToken })).toBe("UPLOAD_INCOMPLETE");
  });

  it("refuses a commit without the lock", async () => {
    const device = await server.newUser();
    expect(await rejectedWithoutWrites(device, commit, { t: 1 })).toBe("LOCK_REQUIRED");
  });
});

describe("file names and versions", () => {
  it("refuses a cloud file name that another live file has, but allows it once that file is deleted", async () => {
    const device = await server.newUser();
    const owner = await commitFile(device, { cloudFileName: "shared-name.txt" });
    const { fencingToken } = await device.lock();
    await expect(
      tusUpload(server.url, device.token!, {
        version: 0,
        cloudFileName: "shared-name.txt",
        content: Buffer.from("other"),
        fencingToken,
      }),
    ).rejects.toThrow(/CLOUD_NAME_TAKEN/);
    await device.deleteFiles(fencingToken, [{ fileUUID: owner, version: 0 }]);
    await device.waitForOperation((await device.commit(fencingToken)).id);
    const reused = await commitFile(device, { cloudFileName: "shared-name.txt" });
    expect(reused).not.toBe(owner);
  });

  it("refuses a new version of a deleted file unless it is undeleted explicitly", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    let { fencingToken } = await device.lock();
    await device.deleteFiles(fencingToken, [{ fileUUID, version: 0 }]);
    await device.waitForOperation((await device.commit(fencingToken)).id);
    ({ fencingToken } = await device.lock());
    await expect(
      tusUpload(server.url, device.token!, { fileUUID, version: 1, content: Buffer.from("back"), fencingToken }),
    ).rejects.toThrow(/FILE_DELETED/);
    await tusUpload(server.url, device.token!, {
      fileUUID,
      version: 1,
      content: Buffer.from("back"),
      fencingToken,
      undelete: true,
    });
    await device.waitForOperation((await device.commit(fencingToken)).id);
    const entry = (await device.fileIndex()).files.find((file) => file.fileUUID === fileUUID);
    expect(entry).toMatchObject({ version: 1, deleted: false });
  });

  it("refuses a version that is not the index version + 1", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    const { fencingToken } = await device.lock();
    for (const version of [0, 2]) {
      await expect(
        tusUpload(server.url, device.token!, { fileUUID, version, content: Buffer.from("v"), fencingToken }),
      ).rejects.toThrow(/WRONG_VERSION/);
    }
  });
});

describe("inbound transfers", () => {
  it("refuses unknown, deleted and wrong-version files, and an empty list", async () => {
    const device = await server.newUser();
    const kept = await commitFile(device);
    const gone = await commitFile(device);
    let { fencingToken } = await device.lock();
    await device.deleteFiles(fencingToken, [{ fileUUID: gone, version: 0 }]);
    await device.waitForOperation((await device.commit(fencingToken)).id);
    ({ fencingToken } = await device.lock());
    expect(
      await rejectedWithoutWrites(device, inbound, {
        t: fencingToken,
        files: [{ fileUUID: randomUUID(), version: 0 }],
      }),
    ).toBe("UNKNOWN_FILE");
    expect(
      await rejectedWithoutWrites(device, inbound, { t: fencingToken, files: [{ fileUUID: gone, version: 0 }] }),
    ).toBe("FILE_DELETED");
    expect(
      await rejectedWithoutWrites(device, inbound, { t: fencingToken, files: [{ fileUUID: kept, version: 1 }] }),
    ).toBe("WRONG_VERSION");
    expect(await rejectedWithoutWrites(device, inbound, { t: fencingToken, files: [] })).toBe("BAD_INPUT");
    expect(
      await rejectedWithoutWrites(device, inbound, {
        t: fencingToken,
        files: [
          { fileUUID: kept, version: 0 },
          { fileUUID: kept, version: 0 },
        ],
      }),
    ).toBe("BAD_INPUT");
  });
});

describe("authorization", () => {
  it("hides another user's operation and file index", async () => {
    const alice = await server.newUser();
    const bob = await server.newUser();
    const fileUUID = await commitFile(alice);
    const [op] = await server.app.services.db.operation.findMany({ where: { items: { some: { fileUUID } } } });
    assert.exists(op);
    expect(await bob.operation(op.id)).toBeNull();
    expect((await bob.fileIndex()).files).toEqual([]);
    const { fencingToken } = await bob.lock();
    expect(await rejectedWithoutWrites(bob, deleteFiles, { t: fencingToken, files: [{ fileUUID, version: 0 }] })).toBe(
      "UNKNOWN_FILE",
    );
  });

  it("refuses every operation without a valid token", async () => {
    const nobody = new TestGraphQLClient(server.url, null);
    const forged = new TestGraphQLClient(server.url, "smsync_forged-token");
    const before = await rowCounts(server.app.services.db);
    for (const client of [nobody, forged]) {
      expect(await client.errorCode(`{ fileIndex { eventSeq } }`)).toBe("UNAUTHENTICATED");
      expect(await client.errorCode(`mutation { lock(idempotencyKey: "k") { fencingToken } }`)).toBe("UNAUTHENTICATED");
      expect(await client.errorCode(`{ operation(id: "x") { id } }`)).toBe("UNAUTHENTICATED");
    }
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });
});

describe("resetServerState", () => {
  it("releases the device's lock and drops its uncommitted uploads and deletions", async () => {
    const device = await server.newUser();
    const fileUUID = await commitFile(device);
    const { fencingToken } = await device.lock();
    await tusUpload(server.url, device.token!, { version: 0, content: Buffer.from("staged"), fencingToken });
    const other = await server.newDevice(device.userName);
    const reset = await device.ok<{ resetServerState: Schema.ResetResult }>(
      `mutation($key: String!) { resetServerState(idempotencyKey: $key) { releasedLock discardedUploads discardedDeletions } }`,
      {
        key: randomUUID(),
      },
    );
    expect(reset.resetServerState).toEqual({ releasedLock: true, discardedUploads: 1, discardedDeletions: 0 });
    // The lock is free for another device, and the file is untouched.
    expect((await other.lock()).heldPreviously).toBe(false);
    expect((await device.fileIndex()).files.find((file) => file.fileUUID === fileUUID)).toMatchObject({
      version: 0,
      deleted: false,
    });
  });
});
