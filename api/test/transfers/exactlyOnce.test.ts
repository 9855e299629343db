// Exactly-once under a lost claim (SPEC 5: several instances on one
// database, work of a dead or stalled instance taken over): a worker that
// stalls in the middle of its cloud write for longer than its claim loses
// the transfer to another server instance, which finishes it. When the
// stalled worker wakes up, it must not finish the transfer a second time
// (no second index update, no file counted twice) and must not leave a
// cloud object behind that nothing refers to.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type App } from "../../src/app.ts";
import { addDevice, addUser } from "../../src/auth/users.ts";
import { loadConfig, type Config } from "../../src/config/config.ts";
import { createLogger } from "../../src/logging/logger.ts";
import {
  createTestDatabase,
  FaultyCloudStorage,
  sha256Hex,
  type TestDatabase,
  testEnvironment,
  TestGraphQLClient,
  transferEventPayload,
  transferredFiles,
  tusUpload,
} from "@smsync/testkit";
import { testCloudBackends, type StartedCloud } from "../support/testCloudBackends.ts";

const waitMs = 60_000;

let dir: string;
let database: TestDatabase;
let config: Config;
let stalled: App; // instance A: its worker will stall in a cloud write
let stalledCloud: FaultyCloudStorage;
let stalledLog: Record<string, unknown>[];
let healthy: App | undefined; // instance B: takes the transfer over
let cloudBackend: StartedCloud; // the cloud both instances write to

function logInto(records: Record<string, unknown>[]) {
  const stream = new PassThrough();
  let pending = "";
  stream.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) if (line.startsWith("{")) records.push(JSON.parse(line) as Record<string, unknown>);
  });
  return pino({ level: "info" }, stream);
}

for (const backend of testCloudBackends) {
  describe(`on the ${backend.name} cloud`, () => {
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "smsync-exactly-once-"));
      database = await createTestDatabase(dir);
      config = loadConfig(testEnvironment(dir, database.url, { SMSYNC_TRANSFER_CLAIM_SECONDS: "2" }));
      cloudBackend = await backend.start();
      stalledCloud = new FaultyCloudStorage(cloudBackend.storage);
      stalledLog = [];
      stalled = await startApp(config, logInto(stalledLog), { cloud: stalledCloud });
    });

    afterAll(async () => {
      await healthy?.close();
      await stalled?.close().catch(() => undefined);
      await database?.drop();
      await cloudBackend?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    describe("a worker that lost its claim in the middle of a transfer", () => {
      it("does not finish it a second time, and leaves no orphan cloud object", async () => {
        const db = stalled.services.db;
        const userName = `stall-${randomUUID().slice(0, 8)}`;
        const created = await addUser(db, userName);
        const phone = new TestGraphQLClient(stalled.url, created.token);
        const laptop = new TestGraphQLClient(stalled.url, (await addDevice(db, userName, "laptop")).token);
        const userId = created.userId;
        const fileUUID = randomUUID();
        const v0 = randomBytes(20_000);
        const v1 = randomBytes(30_000);

        // Instance A's worker stalls in the cloud write of v0.
        let { fencingToken } = await phone.lock();
        await tusUpload(stalled.url, phone.token!, { fileUUID, version: 0, content: v0, fencingToken });
        const gate = stalledCloud.holdWrite(1, fileUUID);
        const first = await phone.commit(fencingToken);
        await gate.reached;
        const stalledWorker = (await db.operation.findUniqueOrThrow({ where: { id: first.id } })).claimedBy;
        expect(stalledWorker).toBeTruthy();

        // Its claim runs out while it stalls (as if its process were frozen, heartbeat and all) ...
        await db.$transaction((tx) =>
          tx.operation.update({
            where: { id: first.id },
            data: { claimedBy: `frozen:${stalledWorker}`, claimExpiresAt: new Date(0) },
          }),
        );
        // ... and instance B takes the transfer over and finishes it.
        healthy = await startApp(config, createLogger("silent"), { cloud: cloudBackend.storage });
        const firstDone = await phone.waitForOperation(first.id, waitMs);
        expect(firstDone).toMatchObject({ state: "SUCCEEDED", filesDone: 1 });

        // The user moves on: version 1 replaces version 0, whose object is removed.
        ({ fencingToken } = await laptop.lock());
        await tusUpload(stalled.url, laptop.token!, { fileUUID, version: 1, content: v1, fencingToken });
        const second = await laptop.waitForOperation((await laptop.commit(fencingToken)).id, waitMs);
        expect(second).toMatchObject({ state: "SUCCEEDED", filesDone: 1 });
        const cloud = cloudBackend.storage;
        const objectKeys = async () =>
          (await cloud.listObjects(userId)).map((object) => `${object.fileUUID}.v${object.version}`);
        expect(await objectKeys()).toEqual([`${fileUUID}.v1`]);

        // Now the stalled worker wakes up and completes its cloud write of version 0,
        // then finds that it has lost the transfer, and gives it up.
        gate.release();
        await stalled.close(); // waits for the worker's transfers to end
        expect(stalledLog.filter((record) => record.operationId === first.id).map((record) => record.msg)).toContain(
          "transfer abandoned: another worker has taken it over",
        );

        // Nothing was finished twice ...
        const events = await db.event.findMany({ where: { operationId: first.id } });
        expect(transferredFiles(events)).toHaveLength(1);
        expect(
          events.filter(
            (event) => event.type === "OPERATION_STATE" && transferEventPayload(event.payload).state === "SUCCEEDED",
          ),
        ).toHaveLength(1);
        const op = await db.operation.findUniqueOrThrow({ where: { id: first.id } });
        expect(op).toMatchObject({ state: "SUCCEEDED", filesDone: 1 });
        // ... the index is at version 1 ...
        const entry = await db.fileEntry.findUniqueOrThrow({ where: { userId_fileUUID: { userId, fileUUID } } });
        const v1Object = await cloud.findObject({ userId, fileUUID, version: 1 });
        expect(entry).toMatchObject({
          version: 1,
          sha256: sha256Hex(v1),
          cloudObjectId: v1Object?.objectId,
          deleted: false,
        });
        // ... and the late write of version 0 left no object behind.
        expect(await objectKeys()).toEqual([`${fileUUID}.v1`]);
        await healthy.close();
        healthy = undefined;
      });
    });

    describe("a server that stops while it runs a transfer", () => {
      it("finishes the file in progress, hands the transfer over at once, and the next server completes it", async () => {
        // Claims that would take far longer than the test waits to expire: the hand-over must not need that.
        const longClaims = loadConfig(testEnvironment(dir, database.url, { SMSYNC_TRANSFER_CLAIM_SECONDS: "3600" }));
        const stoppingCloud = new FaultyCloudStorage(cloudBackend.storage);
        const stopping = await startApp(longClaims, createLogger("silent"), { cloud: stoppingCloud });
        const db = stopping.services.db;
        const created = await addUser(db, `stop-${randomUUID().slice(0, 8)}`);
        const files = [randomBytes(1000), randomBytes(2000), randomBytes(3000)]
          .map((content) => ({ fileUUID: randomUUID(), content }))
          .sort((a, b) => (a.fileUUID < b.fileUUID ? -1 : 1));
        const firstFile = files[0]!; // the first the transfer writes

        const device = new TestGraphQLClient(stopping.url, created.token);
        const { fencingToken } = await device.lock();
        for (const file of files)
          await tusUpload(stopping.url, created.token, {
            fileUUID: file.fileUUID,
            version: 0,
            content: file.content,
            fencingToken,
          });
        const gate = stoppingCloud.holdWrite(1, firstFile.fileUUID);
        const committed = await device.commit(fencingToken);
        await gate.reached;

        // The server is asked to stop in the middle of the first file's cloud write.
        const closed = stopping.close();
        gate.release();
        await closed;
        const paused = await db.operation.findUniqueOrThrow({
          where: { id: committed.id },
          include: { items: { orderBy: { fileUUID: "asc" } } },
        });
        expect(paused).toMatchObject({ state: "IN_PROGRESS", claimedBy: null, filesDone: 1, attempts: 0 });
        expect(paused.items.map((item) => item.state)).toEqual(["DONE", "PENDING", "PENDING"]);

        const next = await startApp(longClaims, createLogger("silent"), { cloud: cloudBackend.storage });
        try {
          const done = await new TestGraphQLClient(next.url, created.token).waitForOperation(committed.id, waitMs);
          expect(done).toMatchObject({ state: "SUCCEEDED", filesDone: 3, attempts: 0 });
          const events = await next.services.db.event.findMany({
            where: { operationId: committed.id, type: "FILES_TRANSFERRED" },
          });
          expect(
            transferredFiles(events)
              .map((file) => file.fileUUID)
              .sort(),
          ).toEqual(files.map((file) => file.fileUUID));
          const objects = await cloudBackend.storage.listObjects(created.userId);
          expect(objects.map((object) => [object.fileUUID, object.sha256])).toEqual(
            files.map((file) => [file.fileUUID, sha256Hex(file.content)]),
          );
          expect(stoppingCloud.created.get(`${firstFile.fileUUID}.v0`)).toBe(1);
          expect(stoppingCloud.calls.write).toBe(1);
        } finally {
          await next.close();
        }
      });
    });
  });
}
