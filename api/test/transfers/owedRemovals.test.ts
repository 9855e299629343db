// Removing the cloud object a change replaced is cleanup, not part of the
// change: once the index update committed, a removal that fails with an error
// a retry cannot fix does not fail the transfer. The change is confirmed
// (SUCCEEDED, lock released), the removal is owed (OwedCloudRemoval), and the
// worker retries it on its own, when idle and at start, until it succeeds.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startApp } from "../../src/app.ts";
import { addUser } from "../../src/auth/users.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/database/client.ts";
import { createLogger } from "../../src/logging/logger.ts";
import {
  createTestDatabase,
  eventually,
  FaultyCloudStorage,
  sha256Hex,
  testEnvironment,
  TestGraphQLClient,
  type TestServer,
  tusUpload,
} from "@smsync/testkit";
import { onEachFaultyCloud } from "../support/faultyCloudServers.ts";
import { testCloudBackends } from "../support/testCloudBackends.ts";

const waitMs = 20_000;

/** Commits one version of a file and waits for its transfer. */
async function commitVersion(
  client: TestGraphQLClient,
  url: string,
  fileUUID: string,
  version: number,
  content: Buffer,
) {
  const { fencingToken } = await client.lock();
  await tusUpload(url, client.token!, { fileUUID, version, content, fencingToken });
  return client.waitForOperation((await client.commit(fencingToken)).id, waitMs);
}

const objectKeys = async (cloud: FaultyCloudStorage, userId: string) =>
  (await cloud.inner.listObjects(userId)).map((object) => `${object.fileUUID}.v${object.version}`).sort();

const owedOf = (db: Database, userId: string) => db.owedCloudRemoval.findMany({ where: { userId } });

let server: TestServer;
let cloud: FaultyCloudStorage;

/** A new user with one file, its version 0 committed. */
async function userWithFile() {
  const { db } = server.app.services;
  const client = await server.newUser();
  const userId = (await db.user.findUniqueOrThrow({ where: { name: client.userName } })).id;
  const fileUUID = randomUUID();
  expect((await commitVersion(client, server.url, fileUUID, 0, Buffer.from("first"))).state).toBe("SUCCEEDED");
  return { db, client, userId, fileUUID };
}

onEachFaultyCloud(
  { SMSYNC_TRANSFER_MAX_ATTEMPTS: "3" },
  (started) => ({ server, cloud } = started),
  () => {
    describe("a replaced object whose removal fails for good", () => {
      it("does not fail the change: it is confirmed, and the worker removes the object once the cloud heals", async () => {
        const { db, client, userId, fileUUID } = await userWithFile();
        const [first] = await cloud.inner.listObjects(userId);

        cloud.fail({ call: "delete", kind: "permanent", fileUUID, times: Infinity });
        const second = Buffer.from("second version");
        const op = await commitVersion(client, server.url, fileUUID, 1, second);
        expect(op).toMatchObject({ state: "SUCCEEDED", filesDone: 1 });
        expect((await db.operation.findUniqueOrThrow({ where: { id: op.id } })).errorCode).toBeNull();
        // The client sees its change: the index holds the new version, the lock is free.
        expect((await client.fileIndex()).files).toMatchObject([
          { fileUUID, version: 1, sha256: sha256Hex(second), deleted: false },
        ]);
        expect(await db.lock.findUnique({ where: { userId } })).toMatchObject({
          operationId: null,
          holderDeviceId: null,
        });
        const other = await server.newDevice(client.userName);
        expect((await other.lock()).heldPreviously).toBe(false);
        const changes = await db.event.findMany({ where: { operationId: op.id, type: "FILE_INDEX_CHANGED" } });
        expect(changes).toHaveLength(1);

        // The removal is owed, and the worker keeps retrying it on its own while the cloud refuses.
        expect(await owedOf(db, userId)).toMatchObject([{ objectId: first?.objectId, fileUUID, operationId: op.id }]);
        await eventually(
          "a retry of the owed removal",
          () => owedOf(db, userId),
          (owed) => (owed[0]?.attempts ?? 0) >= 3,
        );
        expect(await objectKeys(cloud, userId)).toEqual([`${fileUUID}.v0`, `${fileUUID}.v1`]);

        cloud.heal();
        await eventually(
          "the old object removed",
          () => objectKeys(cloud, userId),
          (keys) => keys.length === 1,
        );
        expect(await objectKeys(cloud, userId)).toEqual([`${fileUUID}.v1`]);
        expect(
          await eventually(
            "nothing owed",
            () => owedOf(db, userId),
            (owed) => owed.length === 0,
          ),
        ).toEqual([]);
        expect(await db.operation.findUniqueOrThrow({ where: { id: op.id } })).toMatchObject({ state: "SUCCEEDED" });
      });

      it("does not fail a deletion either, and counts an object already gone as removed", async () => {
        const { db, client, userId, fileUUID } = await userWithFile();
        // The removal takes effect but its answer is lost as a permanent failure.
        cloud.fail({ call: "delete", kind: "permanent", fileUUID, after: true });
        const { fencingToken } = await client.lock();
        await client.deleteFiles(fencingToken, [{ fileUUID, version: 0 }]);
        const op = await client.waitForOperation((await client.commit(fencingToken)).id, waitMs);
        expect(op.state).toBe("SUCCEEDED");
        expect((await client.fileIndex()).files).toMatchObject([{ fileUUID, deleted: true }]);
        expect(await objectKeys(cloud, userId)).toEqual([]);
        await eventually(
          "nothing owed",
          () => owedOf(db, userId),
          (owed) => owed.length === 0,
        );
      });

      it("keeps failing the transfer step on a retryable failure, as before (no removal is owed)", async () => {
        const { db, client, userId, fileUUID } = await userWithFile();
        cloud.fail({ call: "delete", kind: "transient", fileUUID, times: 2 });
        const op = await commitVersion(client, server.url, fileUUID, 1, Buffer.from("second"));
        expect(op).toMatchObject({ state: "SUCCEEDED", attempts: 2 });
        expect(await owedOf(db, userId)).toEqual([]);
        expect(await objectKeys(cloud, userId)).toEqual([`${fileUUID}.v1`]);
      });
    });
  },
);

for (const backend of testCloudBackends) {
  describe(`on the ${backend.name} cloud, a server that starts`, () => {
    it("retries every owed removal at once, whatever its backoff", async () => {
      const started = await backend.start();
      const dir = mkdtempSync(path.join(tmpdir(), "smsync-test-"));
      const database = await createTestDatabase(dir);
      const config = loadConfig(testEnvironment(dir, database.url));
      const cloud = new FaultyCloudStorage(started.storage);
      let app = await startApp(config, createLogger(config.logLevel), { cloud });
      try {
        const created = await addUser(app.services.db, `restart-${randomUUID().slice(0, 8)}`);
        const client = new TestGraphQLClient(app.url, created.token);
        const fileUUID = randomUUID();
        expect((await commitVersion(client, app.url, fileUUID, 0, Buffer.from("first"))).state).toBe("SUCCEEDED");
        cloud.fail({ call: "delete", kind: "authorization", fileUUID, times: Infinity });
        expect((await commitVersion(client, app.url, fileUUID, 1, Buffer.from("second"))).state).toBe("SUCCEEDED");
        expect(await owedOf(app.services.db, created.userId)).toHaveLength(1);
        // Its next attempt is an hour away: only the start pass can take it.
        await app.services.db.$transaction((tx) =>
          tx.owedCloudRemoval.updateMany({
            where: { userId: created.userId },
            data: { nextAttemptAt: new Date(Date.now() + 3_600_000) },
          }),
        );
        await app.close();
        cloud.heal();
        expect(await objectKeys(cloud, created.userId)).toEqual([`${fileUUID}.v0`, `${fileUUID}.v1`]);

        app = await startApp(config, createLogger(config.logLevel), { cloud });
        await eventually(
          "the old object removed",
          () => objectKeys(cloud, created.userId),
          (keys) => keys.length === 1,
        );
        expect(await objectKeys(cloud, created.userId)).toEqual([`${fileUUID}.v1`]);
        await eventually(
          "nothing owed",
          () => owedOf(app.services.db, created.userId),
          (owed) => owed.length === 0,
        );
      } finally {
        await app.close();
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
        await started.close();
      }
    });
  });
}
