// Every answer of the upload plane that is an error carries a JSON body with
// a code, the protocol errors of tus included, and an unexpected failure
// never shows the client its message (paths, SQL, stack: SPEC section 6).
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeMetadata, matchers, rowCounts, uploadMetadata, useTestServer } from "@smsync/testkit";

const server = useTestServer();
afterEach(() => {
  vi.restoreAllMocks();
});

async function createUpload(token: string, headers: Record<string, string>) {
  return fetch(`${server.url}/uploads`, {
    method: "POST",
    headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${token}`, ...headers },
  });
}

describe("error answers of the upload plane", () => {
  it("answers an unexpected failure with 500 and a JSON body that hides its message", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = Buffer.alloc(0);
    // The staged file goes missing under the server: reading it fails with a message naming the path.
    vi.spyOn(server.app.services.staging, "uploadPath").mockReturnValue("/nonexistent/secret-staging-dir/upload");
    const response = await createUpload(device.token!, {
      "Upload-Length": "0",
      "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
    });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret-staging-dir");
    expect(text).not.toContain("ENOENT");
    expect(JSON.parse(text)).toEqual({ code: "INTERNAL", message: matchers.any(String) });
  });

  it("answers tus's own rejections with their status and a JSON body", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = Buffer.from("0123456789");
    const created = await createUpload(device.token!, {
      "Upload-Length": String(content.length),
      "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;

    // A PATCH at the wrong offset: 409 from tus. Neither refusal writes anything.
    const before = await rowCounts(server.app.services.db);
    const wrongOffset = await fetch(location, {
      method: "PATCH",
      headers: {
        "Tus-Resumable": "1.0.0",
        authorization: `Bearer ${device.token}`,
        "Upload-Offset": "5",
        "Content-Type": "application/offset+octet-stream",
      },
      body: content.subarray(5),
    });
    expect(wrongOffset.status).toBe(409);
    expect(await wrongOffset.json()).toMatchObject({ code: "BAD_INPUT", message: matchers.stringMatching(/offset/i) });

    // A creation without Upload-Length or Upload-Defer-Length: 400 from tus.
    const noLength = await createUpload(device.token!, {
      "Upload-Metadata": encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken })),
    });
    expect(noLength.status).toBe(400);
    expect(await noLength.json()).toMatchObject({ code: "BAD_INPUT" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("answers the refusals tus writes before its handlers in JSON too, with its protocol headers", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = Buffer.from("0123456789");
    const metadata = encodeMetadata(uploadMetadata({ fileUUID: randomUUID(), version: 0, content, fencingToken }));
    const before = await rowCounts(server.app.services.db);
    const refusals = [
      // No Tus-Resumable: 412.
      [
        412,
        await fetch(`${server.url}/uploads`, {
          method: "POST",
          headers: { authorization: `Bearer ${device.token}`, "Upload-Length": "10", "Upload-Metadata": metadata },
        }),
      ],
      // An Upload-Length that is no number: 400 from tus's header validators.
      [400, await createUpload(device.token!, { "Upload-Length": "ten", "Upload-Metadata": metadata })],
      // A method tus has no handler for: 404.
      [404, await fetch(`${server.url}/uploads`, { method: "PUT", headers: { "Tus-Resumable": "1.0.0" } })],
    ] as const;
    for (const [status, response] of refusals) {
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("tus-resumable")).toBe("1.0.0");
      expect(await response.json()).toEqual({
        code: status === 404 ? "NOT_FOUND" : "BAD_INPUT",
        message: matchers.stringMatching(/\S/),
      });
    }
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });

  it("answers a malformed Upload-Metadata header with 400 and a JSON body", async () => {
    const device = await server.newUser();
    const before = await rowCounts(server.app.services.db);
    const response = await createUpload(device.token!, {
      "Upload-Length": "10",
      "Upload-Metadata": "fileUUID not*base64!",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: "BAD_INPUT",
      message: matchers.stringContaining("Upload-Metadata"),
    });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    const { db } = server.app.services;
    const userId = (await db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
    expect(await db.stagedUpload.count({ where: { userId } })).toBe(0);
  });
});
