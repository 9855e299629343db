// A kill of the server between an upload's last byte and its check's
// outcome (src/uploads/LastByteCheck.ts): the real server process kills
// itself (SIGKILL) at each crash point of the check, is started again on
// the same data directory and database, and has settled the upload before
// it listens: COMPLETE (or, for bytes that do not match, discarded), once,
// with no request needed. A client resuming then finds every byte checked.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CrashPoint } from "../../src/faults/crashPoints.ts";
import { encodeMetadata, ProcessServer, sha256Hex, tusPatch, tusRequest, uploadMetadata } from "@smsync/testkit";

const caseTimeoutMs = 120_000;

let server: ProcessServer;
beforeAll(async () => {
  server = await ProcessServer.create();
});
afterAll(async () => {
  await server?.close();
});

/** Starts the server to die at `point`, sends an upload's bytes, and starts it again without the point. */
async function killedAtCheck(point: CrashPoint, declaredSha256?: string) {
  await server.start({ SMSYNC_CRASH_AT: point });
  const user = await server.newUser();
  const { fencingToken } = await user.client.lock();
  const content = randomBytes(5000);
  const spec = { fileUUID: randomUUID(), version: 0, content, fencingToken, sha256: declaredSha256 };
  const token = user.client.token!;
  const created = await tusRequest(`${server.url}/uploads`, token, "POST", {
    "Upload-Length": String(content.length),
    "Upload-Metadata": encodeMetadata(uploadMetadata(spec)),
  });
  expect(created.status).toBe(201);
  const url = created.headers.get("location")!;
  await expect(tusPatch(url, token, 0, content)).rejects.toThrow(); // the answer never comes
  expect((await server.current!.waitForExit()).signal).toBe("SIGKILL");
  await server.start();
  return { user, spec, url, uploadId: url.split("/").pop()! };
}

function completions(records: Record<string, unknown>[], uploadId: string): number {
  return records.filter((record) => record.msg === "upload complete" && record.uploadId === uploadId).length;
}

describe("a kill between an upload's last byte and its check", () => {
  // A failed case must not leave its server running for the next one.
  afterEach(async () => {
    await server.stop();
  });

  it.each<CrashPoint>(["upload.beforeCheck", "upload.afterCheck"])(
    "at %s: the upload is COMPLETE once the server listens again, checked once, and commits",
    async (point) => {
      const { user, spec, url, uploadId } = await killedAtCheck(point);
      const row = await server.db().stagedUpload.findUniqueOrThrow({ where: { id: uploadId } });
      expect(row.state).toBe("COMPLETE");
      // Checked once: the server started again checks it only if the killed one had not committed the outcome.
      // (The killed process's own last log lines may be lost with it, so they are not counted.)
      expect(completions(server.current!.logRecords(), uploadId)).toBe(point === "upload.beforeCheck" ? 1 : 0);

      const head = await tusRequest(url, user.client.token!, "HEAD");
      expect(head.headers.get("upload-offset")).toBe(String(spec.content.length));
      const op = await user.client.waitForOperation((await user.client.commit(spec.fencingToken)).id, 60_000);
      expect(op.state).toBe("SUCCEEDED");
      expect((await user.client.fileIndex()).files).toMatchObject([
        { fileUUID: spec.fileUUID, sha256: sha256Hex(spec.content) },
      ]);
    },
    caseTimeoutMs,
  );

  it(
    "before the check, of bytes that do not match: the upload is discarded once the server listens again",
    async () => {
      const { user, url, uploadId } = await killedAtCheck("upload.beforeCheck", "0".repeat(64));
      expect(await server.db().stagedUpload.findUnique({ where: { id: uploadId } })).toBeNull();
      expect(existsSync(path.join(server.stagingDir, "uploads", uploadId))).toBe(false);
      expect((await tusRequest(url, user.client.token!, "HEAD")).status).toBe(404);
    },
    caseTimeoutMs,
  );
});
