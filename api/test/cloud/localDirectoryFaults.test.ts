// The local cloud tells a missing object (ENOENT) from a file system that
// failed (EIO, EMFILE, ENOTDIR...): only the first is "not found", a final
// answer; any other failure is thrown as it is, and a transfer retries it.
// Taking every failure for "not found" made a download fail for good with
// CLOUD_NOTFOUND on a passing I/O error, and made a write go ahead over an
// object it could not see. The failure here is ENOTDIR (the user's
// directory swapped for a file), the one a test can bring about as root
// and undo: like EIO or EMFILE, it is not ENOENT.
import { randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import {
  committedFileForDownload,
  downloadUrlOf,
  eventually,
  sha256Hex,
  startTestServer,
  type TestServer,
} from "@smsync/testkit";

const root = mkdtempSync(path.join(tmpdir(), "smsync-cloud-faults-"));
const storage = new LocalDirectoryStorage(root);
let server: TestServer;

/** A transfer's retry waits up to an hour, on the server's clock: it runs again only once the test moves the clock. */
const retryWaitMs = 60 * 60_000;

beforeAll(async () => {
  server = await startTestServer(
    { SMSYNC_TRANSFER_BACKOFF_BASE_MS: String(retryWaitMs), SMSYNC_TRANSFER_BACKOFF_CAP_MS: String(retryWaitMs) },
    { cloud: storage },
  );
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Swaps the user's cloud directory for a file (every object below it fails with ENOTDIR); the function returned puts it back. */
function breakUserDirectory(userId: string): () => void {
  const dir = path.join(root, userId);
  renameSync(dir, `${dir}.aside`);
  writeFileSync(dir, "not a directory");
  return () => {
    rmSync(dir);
    renameSync(`${dir}.aside`, dir);
  };
}

describe("the local cloud on a failing file system", () => {
  it("throws the failure, not 'not found', from findObject and readObject", async () => {
    const content = randomBytes(1000);
    const { userId, fileUUID } = await committedFileForDownload(server, content);
    const key = { userId, fileUUID, version: 0 };
    const object = await storage.findObject(key);
    expect(object).toMatchObject({ sha256: sha256Hex(content) });
    const restore = breakUserDirectory(userId);
    try {
      await expect(storage.findObject(key)).rejects.toMatchObject({ code: "ENOTDIR" });
      await expect(storage.readObject(userId, object!.objectId)).rejects.toMatchObject({ code: "ENOTDIR" });
    } finally {
      restore();
    }
    expect(await storage.findObject(key)).toMatchObject({ sha256: sha256Hex(content) });
  });

  it("a download whose cloud read fails is retried, and succeeds once the file system is back", async () => {
    const content = randomBytes(50_000);
    const { laptop, userId, fileUUID, lock } = await committedFileForDownload(server, content);
    const { db } = server.app.services;
    const restore = breakUserDirectory(userId);
    let restored = false;
    try {
      const started = await laptop.startInboundTransfer(lock.fencingToken, [{ fileUUID, version: 0 }]);
      const failedOnce = await eventually(
        "an attempt failed",
        () => db.operation.findUniqueOrThrow({ where: { id: started.id } }),
        (operation) => operation.attempts >= 1 && operation.claimedBy === null,
      );
      // Waiting for its retry, not FAILED with CLOUD_NOTFOUND.
      expect(failedOnce).toMatchObject({ state: "IN_PROGRESS", attempts: 1 });
      expect(failedOnce.errorMessage).toMatch(/ENOTDIR/);
      restore();
      restored = true;
      server.clock.advance(retryWaitMs); // past the retry's wait
      const op = await laptop.waitForOperation(started.id, 60_000);
      expect(op.state).toBe("SUCCEEDED");
      const response = await fetch(downloadUrlOf(op), { headers: { authorization: `Bearer ${laptop.token}` } });
      expect(response.status).toBe(200);
      expect(sha256Hex(await buffer(response.body as unknown as AsyncIterable<Buffer>))).toBe(sha256Hex(content));
    } finally {
      if (!restored) restore();
    }
  });
});
