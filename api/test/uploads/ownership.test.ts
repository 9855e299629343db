// An upload URL is usable by its owner only (SPEC section 6): another user
// gets the same 404 as for a missing upload, whatever the method, and
// cannot change the upload. The owner may terminate an unfinished upload.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  errorBodyOf,
  matchers,
  rowCounts,
  sha256Hex,
  tusPatch,
  startedTusUpload,
  tusRequest,
  useTestServer,
} from "@smsync/testkit";

const server = useTestServer();

describe("another user's upload URL", () => {
  it("answers 404 to HEAD, PATCH, DELETE and GET, and leaves the upload intact", async () => {
    const content = randomBytes(6000);
    const a = await startedTusUpload(server, content, 2000);
    const b = await server.newUser();
    await b.lock();

    const missing = `${server.url}/uploads/${randomUUID().replaceAll("-", "")}`;
    const before = await rowCounts(server.app.services.db);
    for (const [method, extra, body] of [
      ["HEAD", {}, undefined],
      ["PATCH", { "Upload-Offset": "2000", "Content-Type": "application/offset+octet-stream" }, randomBytes(4000)],
      ["DELETE", {}, undefined],
      ["GET", {}, undefined],
    ] as const) {
      const response = await tusRequest(a.url, b.token!, method, extra, body);
      expect(response.status, method).toBe(404);
      // The same answer as for an upload that does not exist.
      const forMissing = await tusRequest(missing, b.token!, method, extra, body);
      expect(forMissing.status, method).toBe(404);
      if (method !== "HEAD") {
        const answer = await errorBodyOf(response);
        expect(answer.code, method).toBe("NOT_FOUND");
        expect(answer).toEqual({ ...(await errorBodyOf(forMissing)), message: matchers.any(String) });
      }
    }
    expect(await rowCounts(server.app.services.db)).toEqual(before);

    const head = await tusRequest(a.url, a.device.token!, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe("2000");
    const row = await server.app.services.db.stagedUpload.findUniqueOrThrow({ where: { id: a.id } });
    expect(row.state).toBe("UPLOADING");

    // The owner finishes and commits it, with A's own bytes.
    expect((await tusPatch(a.url, a.device.token!, 2000, content.subarray(2000))).status).toBe(204);
    expect((await a.device.waitForOperation((await a.device.commit(a.fencingToken)).id)).state).toBe("SUCCEEDED");
    expect((await a.device.fileIndex()).files).toMatchObject([{ fileUUID: a.fileUUID, sha256: sha256Hex(content) }]);
  });

  it("answers 401 without a token", async () => {
    const a = await startedTusUpload(server, randomBytes(100), 0);
    const before = await rowCounts(server.app.services.db);
    const response = await fetch(a.url, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" } });
    expect(response.status).toBe(401);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });
});

describe("terminating an upload", () => {
  it("removes the upload at once: a commit right after the 204 has nothing to commit", async () => {
    const a = await startedTusUpload(server, randomBytes(3000), 1000);
    const terminated = await tusRequest(a.url, a.device.token!, "DELETE");
    expect(terminated.status).toBe(204);
    expect(await server.app.services.db.stagedUpload.findUnique({ where: { id: a.id } })).toBeNull();
    const before = await rowCounts(server.app.services.db);
    expect(
      await a.device.errorCode(
        `mutation($key: String!, $token: Int!) { commit(idempotencyKey: $key, fencingToken: $token) { id } }`,
        {
          key: randomUUID(),
          token: a.fencingToken,
        },
      ),
    ).toBe("NOTHING_TO_COMMIT");
    expect((await tusRequest(a.url, a.device.token!, "HEAD")).status).toBe(404);
    // A repeated DELETE finds nothing.
    expect((await tusRequest(a.url, a.device.token!, "DELETE")).status).toBe(404);
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("refuses to terminate a finished upload, which stays committable", async () => {
    const content = randomBytes(500);
    const a = await startedTusUpload(server, content, 500);
    const before = await rowCounts(server.app.services.db);
    const refused = await tusRequest(a.url, a.device.token!, "DELETE");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "BAD_INPUT" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect((await a.device.waitForOperation((await a.device.commit(a.fencingToken)).id)).state).toBe("SUCCEEDED");
  });
});
