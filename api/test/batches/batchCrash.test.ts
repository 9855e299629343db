// A kill -9 of the server inside each step of a batch upload: the real
// server process kills itself at the crash point, is started again on the
// same data, and the client's next move (ask what is held, send the rest,
// commit) ends with each file staged once, written to the cloud once and
// indexed once.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CrashPoint } from "../../src/faults/crashPoints.ts";
import { batchEntry, heldOf, ProcessServer, sha256Hex, uploadBatchOf, type BatchEntry } from "@smsync/testkit";

const caseTimeoutMs = 180_000;

let server: ProcessServer;
beforeAll(async () => {
  server = await ProcessServer.create();
});
afterAll(async () => {
  await server?.close();
});

describe("a kill inside a batch upload", () => {
  afterEach(async () => {
    await server.stop();
  });

  // 150 files: the first group of 100 is where the kill falls; the rest was never recorded.
  it.each<[CrashPoint, number]>([
    ["uploadBatch.afterFilesWritten", 0],
    ["uploadBatch.afterRecorded", 100],
  ])(
    "at %s: %i files are held once the server is back; the rest goes up, and each file is indexed once",
    async (point, heldAfterKill) => {
      await server.start({ SMSYNC_CRASH_AT: point });
      const user = await server.newUser();
      const token = user.client.token!;
      const { fencingToken } = await user.client.lock();
      const entries: BatchEntry[] = Array.from({ length: 150 }, () => batchEntry(randomBytes(2000)));
      await expect(uploadBatchOf(server.url, token, fencingToken, entries)).rejects.toThrow(); // no answer comes
      expect((await server.current!.waitForExit()).signal).toBe("SIGKILL");
      await server.start();

      const held = await heldOf(server.url, token, fencingToken, entries);
      expect(held).toEqual(entries.slice(0, heldAfterKill).map((entry) => entry.file.fileUUID));
      const rest = entries.filter((entry) => !held.includes(entry.file.fileUUID));
      expect((await uploadBatchOf(server.url, token, fencingToken, rest)).status).toBe(200);
      const operation = await user.client.waitForOperation((await user.client.commit(fencingToken)).id, 120_000);
      expect(operation).toMatchObject({ state: "SUCCEEDED", filesDone: 150 });
      const index = (await user.client.fileIndex()).files;
      expect(new Map(index.map((file) => [file.fileUUID, file.sha256]))).toEqual(
        new Map(entries.map((entry) => [entry.file.fileUUID, sha256Hex(entry.content)])),
      );
      const objects = await server.db().fileEntry.count({ where: { user: { name: user.userName } } });
      expect(objects).toBe(150);
    },
    caseTimeoutMs,
  );
});
