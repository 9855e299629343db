// The server checks the declared sha256 on the last byte: bytes that do not
// match are rejected and discarded, so they can never be committed.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import type * as tus from "tus-js-client";
import { describe, expect, it } from "vitest";
import { type ErrorBody, rowCounts, sha256Hex, tusUpload, useTestServer } from "@smsync/testkit";

const server = useTestServer();

describe("an upload whose bytes do not match its sha256", () => {
  it("is rejected on the last PATCH with 460 CHECKSUM_MISMATCH, and nothing of it is left", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(200_000);
    const declared = sha256Hex(Buffer.from("other content"));
    let uploadUrl: string | null = null;
    let patches = 0;
    // Nothing of the upload is left: the rows are as they were before it was created.
    const before = await rowCounts(server.app.services.db);

    const error = await tusUpload(
      server.url,
      device.token!,
      { fileUUID: randomUUID(), version: 0, content, fencingToken, sha256: declared },
      {
        chunkSize: 64 * 1024,
        onAfterResponse: (request: tus.HttpRequest, answer: tus.HttpResponse) => {
          if (request.getMethod() === "POST") uploadUrl = answer.getHeader("location") ?? null;
          if (request.getMethod() === "PATCH") patches++;
        },
      },
    ).then(
      () => null,
      (rejected: tus.DetailedError) => rejected,
    );

    expect(error).not.toBeNull();
    const response = error!.originalResponse!;
    expect(response.getStatus()).toBe(460);
    const body = JSON.parse(response.getBody()) as ErrorBody;
    expect(body).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(body.message).toContain(sha256Hex(content));
    // Only the last of the four PATCHes was rejected: the check runs on the last byte.
    expect(patches).toBe(4);
    const head = await fetch(uploadUrl!, {
      method: "HEAD",
      headers: { "Tus-Resumable": "1.0.0", authorization: `Bearer ${device.token}` },
    });
    expect(head.status).toBe(404);

    const { db, staging } = server.app.services;
    const userId = (await db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
    expect(await db.stagedUpload.count({ where: { userId } })).toBe(0);
    expect(readdirSync(staging.uploadsDir)).toEqual([]);
    expect(await rowCounts(db)).toEqual(before);
    expect(await device.errorCode(commitMutation, { key: randomUUID(), token: fencingToken })).toBe(
      "NOTHING_TO_COMMIT",
    );
    expect(await rowCounts(db)).toEqual(before);
  });

  it("answers a retry of the rejected PATCH with 404: the upload is gone", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const content = randomBytes(1000);
    const before = await rowCounts(server.app.services.db);
    const created = await fetch(`${server.url}/uploads`, {
      method: "POST",
      headers: {
        "Tus-Resumable": "1.0.0",
        authorization: `Bearer ${device.token}`,
        "Upload-Length": String(content.length),
        "Upload-Metadata": (
          [
            ["fileUUID", randomUUID()],
            ["version", "0"],
            ["sha256", "0".repeat(64)],
            ["cloudFileName", "wrong.bin"],
            ["mimeType", "application/octet-stream"],
            ["fencingToken", String(fencingToken)],
          ] satisfies [string, string][]
        )
          .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
          .join(","),
      },
    });
    expect(created.status).toBe(201);
    const location = created.headers.get("location")!;
    const patch = () =>
      fetch(location, {
        method: "PATCH",
        headers: {
          "Tus-Resumable": "1.0.0",
          authorization: `Bearer ${device.token}`,
          "Upload-Offset": "0",
          "Content-Type": "application/offset+octet-stream",
        },
        body: new Uint8Array(content),
      });
    const rejected = await patch();
    expect(rejected.status).toBe(460);
    expect(await rejected.json()).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    const retried = await patch();
    expect(retried.status).toBe(404);
    expect(await retried.json()).toMatchObject({ code: "NOT_FOUND" });
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    expect(existsSync(server.app.services.staging.uploadPath(location.split("/").pop()!))).toBe(false);
  });
});

const commitMutation = `mutation($key: String!, $token: Int!) { commit(idempotencyKey: $key, fencingToken: $token) { id } }`;
