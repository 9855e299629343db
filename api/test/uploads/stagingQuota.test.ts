// The per-user staging quota (SMSYNC_STAGING_QUOTA_BYTES, docs/protocol.md,
// "Staging quota"): the declared lengths of a user's staged, uncommitted
// uploads, tus and batch alike, may not pass it. The creation that would
// pass it is refused with 413 STAGING_QUOTA_EXCEEDED before anything is
// written (no row, no file in staging); a commit or an unlock frees the
// bytes, and creations are accepted again.
import { randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  batchEntry,
  encodeMetadata,
  errorBodyOf,
  refusedWithoutWrites,
  type TestGraphQLClient,
  tusPatch,
  tusRequest,
  uploadBatchOf,
  uploadMetadata,
  useTestServer,
} from "@smsync/testkit";

const quotaBytes = 10_000;
const server = useTestServer({
  SMSYNC_STAGING_QUOTA_BYTES: String(quotaBytes),
  SMSYNC_MAX_UPLOAD_BYTES: String(quotaBytes),
});

function createUpload(device: TestGraphQLClient, fencingToken: number, content: Buffer) {
  return tusRequest(`${server.url}/uploads`, device.token!, "POST", {
    "Upload-Length": String(content.length),
    "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
  });
}

/** A refused creation: 413 STAGING_QUOTA_EXCEEDED, and no row or staged file written. */
async function expectQuotaRefusal(create: () => Promise<Response>) {
  const filesBefore = await readdir(server.app.services.staging.uploadsDir);
  const response = await refusedWithoutWrites(server.app.services.db, create);
  expect(response.status).toBe(413);
  expect(await errorBodyOf(response)).toMatchObject({ code: "STAGING_QUOTA_EXCEEDED", quotaBytes });
  expect(await readdir(server.app.services.staging.uploadsDir)).toEqual(filesBefore);
}

describe("the staging quota", () => {
  it("refuses the tus or batch creation that would pass it, and accepts again after a commit", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    // Up to the quota exactly: accepted.
    const first = randomBytes(6000);
    const second = randomBytes(4000);
    const uploads = [];
    for (const content of [first, second]) {
      const created = await createUpload(device, fencingToken, content);
      expect(created.status).toBe(201);
      uploads.push({ url: created.headers.get("location")!, content });
    }

    // One byte more, by tus or by the batch path: refused.
    await expectQuotaRefusal(() => createUpload(device, fencingToken, randomBytes(1)));
    await expectQuotaRefusal(() =>
      uploadBatchOf(server.url, device.token!, fencingToken, [batchEntry(randomBytes(1))]),
    );

    // The commit takes the staged bytes: the quota has room again.
    for (const { url, content } of uploads) {
      expect((await tusPatch(url, device.token!, 0, content)).status).toBe(204);
    }
    expect((await device.waitForOperation((await device.commit(fencingToken)).id)).state).toBe("SUCCEEDED");
    const next = await device.lock();
    expect((await createUpload(device, next.fencingToken, randomBytes(6000))).status).toBe(201);
    expect(
      (await uploadBatchOf(server.url, device.token!, next.fencingToken, [batchEntry(randomBytes(1))])).status,
    ).toBe(200);
  });

  it("decides one user's concurrent creations one at a time: never more than the quota", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => createUpload(device, fencingToken, randomBytes(3000))),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([201, 201, 201, 413, 413, 413, 413, 413]);
  });

  it("counts a replaced upload once, and frees the staged bytes on unlock", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const files = [batchEntry(randomBytes(5000)), batchEntry(randomBytes(5000))];
    expect((await uploadBatchOf(server.url, device.token!, fencingToken, files)).status).toBe(200);
    await expectQuotaRefusal(() => createUpload(device, fencingToken, randomBytes(1)));

    // The same version with other content replaces the staged one: its bytes do not count twice.
    const replacement = batchEntry(randomBytes(5000), { fileUUID: files[0]!.file.fileUUID });
    expect((await uploadBatchOf(server.url, device.token!, fencingToken, [replacement])).status).toBe(200);

    await device.ok(`mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`, {
      key: randomUUID(),
      token: fencingToken,
    });
    const next = await device.lock();
    expect((await createUpload(device, next.fencingToken, randomBytes(10_000))).status).toBe(201);
  });
});
