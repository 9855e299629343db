// Writing a staged tus upload (PATCH, DELETE) needs what its creation needed:
// the caller's device holding the user's lock, under the grant the upload
// was created under (docs/protocol.md, "Uploading a batch"). Another device
// of the same user, or the holder once its lock was taken over, is refused
// in the JSON error shape and leaves the upload as it was; HEAD stays the
// owner's.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { errorBodyOf, rowCounts, tusPatch, startedTusUpload, tusRequest, useTestServer } from "@smsync/testkit";

const server = useTestServer();

async function offsetOf(url: string, token: string): Promise<string | null> {
  const head = await tusRequest(url, token, "HEAD");
  expect(head.status).toBe(200);
  return head.headers.get("upload-offset");
}

describe("writing a staged tus upload", () => {
  it("refuses another device of the same user with 423 LOCK_REQUIRED, on PATCH and DELETE", async () => {
    const content = randomBytes(6000);
    const upload = await startedTusUpload(server, content, 2000);
    const other = await server.newDevice(upload.device.userName);

    const before = await rowCounts(server.app.services.db);
    const patch = await tusPatch(upload.url, other.token!, 2000, content.subarray(2000));
    expect(patch.status).toBe(423);
    expect(await errorBodyOf(patch)).toMatchObject({ code: "LOCK_REQUIRED" });
    expect(patch.headers.get("tus-resumable")).toBe("1.0.0");
    const termination = await tusRequest(upload.url, other.token!, "DELETE");
    expect(termination.status).toBe(423);
    expect(await errorBodyOf(termination)).toMatchObject({ code: "LOCK_REQUIRED" });

    // Untouched: its row, its bytes; the holder finishes it.
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    const row = await server.app.services.db.stagedUpload.findUniqueOrThrow({ where: { id: upload.id } });
    expect(row).toMatchObject({ state: "UPLOADING", fencingToken: upload.fencingToken });
    expect(await offsetOf(upload.url, upload.device.token!)).toBe("2000");
    // HEAD stays the owner's, lock or not.
    expect(await offsetOf(upload.url, other.token!)).toBe("2000");
    expect((await tusPatch(upload.url, upload.device.token!, 2000, content.subarray(2000))).status).toBe(204);
  });

  it("refuses the holder once another device took its lock over, and its DELETE alike", async () => {
    const content = randomBytes(6000);
    const upload = await startedTusUpload(server, content, 1000);
    // The holder's lease runs out; another device of the user takes the lock over.
    server.clock.advance((server.config.lockTtlSeconds + 1) * 1000);
    const other = await server.newDevice(upload.device.userName);
    const takenOver = await other.lock();
    expect(takenOver.fencingToken).toBeGreaterThan(upload.fencingToken);

    const patch = await tusPatch(upload.url, upload.device.token!, 1000, content.subarray(1000));
    expect(patch.status).toBe(423);
    expect(await errorBodyOf(patch)).toMatchObject({ code: "LOCK_REQUIRED" });
    const termination = await tusRequest(upload.url, upload.device.token!, "DELETE");
    expect(termination.status).toBe(423);
    expect(await errorBodyOf(termination)).toMatchObject({ code: "LOCK_REQUIRED" });
  });
});
