// A cloud write can take effect although its answer is an error. When the
// transfer then fails and its batch is given up (a reset, or a later grant),
// nothing refers to the object it left: the worker finds it by key and
// removes it. A later write of the same (fileUUID, version) takes the record
// over first, so a removal never takes an object that a live write uses.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/database/client.ts";
import { removeAbandonedWrites, takeOverAbandonedWrite } from "../../src/transfers/abandonedWrites.ts";
import {
  eventually,
  type FaultyCloudStorage,
  sha256Hex,
  type TestGraphQLClient,
  type TestServer,
  tusUpload,
} from "@smsync/testkit";
import { onEachFaultyCloud } from "../support/faultyCloudServers.ts";

const waitMs = 20_000;
const reset = `mutation($key: String!) { resetServerState(idempotencyKey: $key) { releasedLock discardedUploads discardedDeletions } }`;
const unlock = `mutation($key: String!, $token: Int!) { unlock(idempotencyKey: $key, fencingToken: $token) }`;

let server: TestServer;
let cloud: FaultyCloudStorage;

const objectKeys = async (userId: string) =>
  (await cloud.inner.listObjects(userId)).map((object) => `${object.fileUUID}.v${object.version}`).sort();
const abandonedOf = (db: Database, userId: string) => db.abandonedCloudWrite.findMany({ where: { userId } });

async function newUser() {
  const { db } = server.app.services;
  const client = await server.newUser();
  const userId = (await db.user.findUniqueOrThrow({ where: { name: client.userName } })).id;
  return { db, client, userId };
}

/** Uploads and commits one version; the transfer's end state. */
async function commitVersion(client: TestGraphQLClient, fileUUID: string, version: number, content: Buffer) {
  const { fencingToken } = await client.lock();
  await tusUpload(server.url, client.token!, { fileUUID, version, content, fencingToken });
  const op = await client.waitForOperation((await client.commit(fencingToken)).id, waitMs);
  return { op, fencingToken };
}

/** A transfer whose cloud write of fileUUID takes effect and then fails for good: the object is in the cloud, not in the index. */
async function failedWriteThatTookEffect(client: TestGraphQLClient, userId: string, fileUUID: string, content: Buffer) {
  cloud.fail({ call: "write", kind: "permanent", fileUUID, after: true });
  const { op, fencingToken } = await commitVersion(client, fileUUID, 0, content);
  expect(op).toMatchObject({ state: "FAILED", errorCode: "CLOUD_PERMANENT" });
  expect(await objectKeys(userId)).toEqual([`${fileUUID}.v0`]);
  expect((await client.fileIndex()).files).toEqual([]);
  return { op, fencingToken };
}

/** The worker removes the user's abandoned object, then the record of it. */
async function expectAbandonedObjectRemoved(db: Database, userId: string) {
  await eventually(
    "the object removed",
    () => objectKeys(userId),
    (keys) => keys.length === 0,
  );
  expect(
    await eventually(
      "nothing left to remove",
      () => abandonedOf(db, userId),
      (rows) => rows.length === 0,
    ),
  ).toEqual([]);
}

onEachFaultyCloud(
  { SMSYNC_TRANSFER_MAX_ATTEMPTS: "3" },
  (started) => ({ server, cloud } = started),
  () => {
    describe("the object of a write that took effect in a failed transfer", () => {
      it("is removed once a reset gives the batch up", async () => {
        const { db, client, userId } = await newUser();
        const fileUUID = randomUUID();
        const { op } = await failedWriteThatTookEffect(
          client,
          userId,
          fileUUID,
          Buffer.from("written, answered with an error"),
        );

        await client.ok(reset, { key: randomUUID() });
        expect(await db.operationItem.findMany({ where: { operationId: op.id } })).toMatchObject([
          { fileUUID, state: "ABANDONED" },
        ]);
        await expectAbandonedObjectRemoved(db, userId);
      });

      it("is removed once a later grant gives the batch up (unlock, then lock)", async () => {
        const { db, client, userId } = await newUser();
        const fileUUID = randomUUID();
        const { fencingToken } = await failedWriteThatTookEffect(
          client,
          userId,
          fileUUID,
          Buffer.from("given up by unlock"),
        );

        await client.ok(unlock, { key: randomUUID(), token: fencingToken });
        await expectAbandonedObjectRemoved(db, userId);
      });

      it("is kept when the device redoes the batch: the redone write takes it over and the index points at it", async () => {
        const { db, client, userId } = await newUser();
        const fileUUID = randomUUID();
        const content = Buffer.from("written twice, kept once");
        await failedWriteThatTookEffect(client, userId, fileUUID, content);
        // The removal cannot succeed yet: the record stays, and the worker keeps trying.
        cloud.fail({ call: "delete", kind: "transient", fileUUID, times: Infinity });
        await client.ok(reset, { key: randomUUID() });
        await eventually(
          "a failed removal",
          () => abandonedOf(db, userId),
          (rows) => (rows[0]?.attempts ?? 0) >= 1,
        );

        const { op } = await commitVersion(client, fileUUID, 0, content);
        expect(op.state).toBe("SUCCEEDED");
        expect(await abandonedOf(db, userId)).toEqual([]);
        cloud.heal();
        const [object] = await cloud.inner.listObjects(userId);
        expect(await objectKeys(userId)).toEqual([`${fileUUID}.v0`]);
        const entry = await db.fileEntry.findUniqueOrThrow({ where: { userId_fileUUID: { userId, fileUUID } } });
        expect(entry).toMatchObject({ version: 0, sha256: sha256Hex(content), cloudObjectId: object?.objectId });
        // A pass of the worker now has nothing to remove.
        expect(await removeAbandonedWrites(server.app.services, "test-worker", { all: true })).toEqual({
          removed: 0,
          failed: 0,
        });
        expect(await objectKeys(userId)).toEqual([`${fileUUID}.v0`]);
      });
    });

    describe("a write of a key with a given-up write recorded", () => {
      const record = async (
        db: Database,
        userId: string,
        claim: { claimedBy: string; claimExpiresAt: Date } | null,
      ) => {
        const key = { userId, fileUUID: randomUUID(), version: 3 };
        const data = { ...key, operationId: randomUUID(), nextAttemptAt: new Date(Date.now() + 3_600_000), ...claim };
        await db.$transaction((tx) => tx.abandonedCloudWrite.create({ data }));
        return key;
      };
      const notStopped = () => undefined;

      it("takes an unclaimed record over, so that no removal acts on it afterwards", async () => {
        const { db, userId } = await newUser();
        const key = await record(db, userId, null);
        await takeOverAbandonedWrite(db, server.app.services.clock, key, notStopped);
        expect(await abandonedOf(db, userId)).toEqual([]);
      });

      it("waits while a removal holds a live claim, and goes on once the removal is done", async () => {
        const { db, userId } = await newUser();
        const key = await record(db, userId, {
          claimedBy: "another-worker",
          claimExpiresAt: new Date(Date.now() + 3_600_000),
        });
        let tookOver = false;
        const takeOver = takeOverAbandonedWrite(db, server.app.services.clock, key, notStopped).then(
          () => (tookOver = true),
        );
        // A removal claimed by another worker is not touched by this worker's pass either.
        expect(await removeAbandonedWrites(server.app.services, "this-worker", { all: true })).toEqual({
          removed: 0,
          failed: 0,
        });
        expect(tookOver).toBe(false);
        expect(await abandonedOf(db, userId)).toHaveLength(1);

        await db.$transaction((tx) =>
          tx.abandonedCloudWrite.deleteMany({ where: { ...key, claimedBy: "another-worker" } }),
        );
        await takeOver;
        expect(tookOver).toBe(true);
      });

      it("takes over a claim left to expire by a removal that died", async () => {
        const { db, userId } = await newUser();
        const key = await record(db, userId, {
          claimedBy: "a-dead-worker",
          claimExpiresAt: new Date(Date.now() - 1000),
        });
        await takeOverAbandonedWrite(db, server.app.services.clock, key, notStopped);
        expect(await abandonedOf(db, userId)).toEqual([]);
      });
    });
  },
);
