// Creating an upload is safe to repeat (SPEC section 2): the same creation
// for (user, fileUUID, version, sha256) answers with the existing upload and
// the bytes it already holds; only the lock holder gets that answer.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeMetadata, rowCounts, sha256Hex, uploadMetadata, useTestServer } from "@smsync/testkit";

const server = useTestServer();

function createUpload(token: string, metadata: Record<string, string>, length: number) {
  return fetch(`${server.url}/uploads`, {
    method: "POST",
    headers: {
      "Tus-Resumable": "1.0.0",
      authorization: `Bearer ${token}`,
      "Upload-Length": String(length),
      "Upload-Metadata": encodeMetadata(metadata),
    },
  });
}

function patchUpload(location: string, token: string, offset: number, body: Buffer) {
  return fetch(location, {
    method: "PATCH",
    headers: {
      "Tus-Resumable": "1.0.0",
      authorization: `Bearer ${token}`,
      "Upload-Offset": String(offset),
      "Content-Type": "application/offset+octet-stream",
    },
    body: new Uint8Array(body),
  });
}

function headUpload(location: string, token: string) {
  return fetch(location, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${token}` } });
}

describe("creating an upload again", () => {
  it("answers 201 with the existing upload's Location and the offset it holds", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(10_000);
    const metadata = uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken });

    const first = await createUpload(device.token!, metadata, content.length);
    expect(first.status).toBe(201);
    const location = first.headers.get("location")!;
    expect((await patchUpload(location, device.token!, 0, content.subarray(0, 4000))).status).toBe(204);

    const again = await createUpload(device.token!, metadata, content.length);
    expect(again.status).toBe(201);
    expect(again.headers.get("location")).toBe(location);
    expect(again.headers.get("upload-offset")).toBe("4000");
    expect(await server.app.services.db.stagedUpload.count({ where: { fileUUID: metadata.fileUUID } })).toBe(1);

    // The kept bytes are really there: the rest completes the upload.
    const last = await patchUpload(location, device.token!, 4000, content.subarray(4000));
    expect(last.status).toBe(204);
    expect(last.headers.get("upload-sha256")).toBe(sha256Hex(content));

    // A finished upload reports itself complete.
    const afterEnd = await createUpload(device.token!, metadata, content.length);
    expect(afterEnd.status).toBe(201);
    expect(afterEnd.headers.get("location")).toBe(location);
    expect(afterEnd.headers.get("upload-offset")).toBe(String(content.length));
  });

  it("starts over, discarding the old bytes, when the content (sha256) changed", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const fileUUID = randomUUID();
    const before = randomBytes(3000);
    const after = randomBytes(3000);
    const first = await createUpload(
      device.token!,
      uploadMetadata({ fileUUID, version: 0, content: before, fencingToken }),
      before.length,
    );
    const oldLocation = first.headers.get("location")!;
    expect((await patchUpload(oldLocation, device.token!, 0, before.subarray(0, 1000))).status).toBe(204);

    const second = await createUpload(
      device.token!,
      uploadMetadata({ fileUUID, version: 0, content: after, fencingToken }),
      after.length,
    );
    expect(second.status).toBe(201);
    const newLocation = second.headers.get("location")!;
    expect(newLocation).not.toBe(oldLocation);
    expect((await headUpload(newLocation, device.token!)).headers.get("upload-offset")).toBe("0");
    expect((await headUpload(oldLocation, device.token!)).status).toBe(404);
    const rows = await server.app.services.db.stagedUpload.findMany({ where: { fileUUID } });
    expect(rows.map((row) => row.sha256)).toEqual([sha256Hex(after)]);
  });

  it("does not hand the existing upload to another device of the user that lacks the lock", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const { fencingToken } = await phone.lock();
    const content = randomBytes(2000);
    const metadata = uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken });
    const created = await createUpload(phone.token!, metadata, content.length);
    expect(created.status).toBe(201);

    // Same metadata, same fencing token, but the laptop does not hold the lock.
    const before = await rowCounts(server.app.services.db);
    const fromLaptop = await createUpload(laptop.token!, metadata, content.length);
    expect(fromLaptop.status).toBe(423);
    expect(await fromLaptop.json()).toMatchObject({ code: "LOCK_REQUIRED" });
    expect(fromLaptop.headers.get("location")).toBeNull();
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("does not resume an upload staged under a lock grant that was lost", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const { fencingToken } = await phone.lock(60);
    const content = randomBytes(2000);
    const metadata = uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken });
    const created = await createUpload(phone.token!, metadata, content.length);
    expect(
      (await patchUpload(created.headers.get("location")!, phone.token!, 0, content.subarray(0, 500))).status,
    ).toBe(204);

    // The lease runs out and the laptop takes the lock over.
    server.clock.advance(60_000);
    await laptop.lock();
    const before = await rowCounts(server.app.services.db);
    const again = await createUpload(phone.token!, metadata, content.length);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "STALE_FENCING_TOKEN" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });
});
