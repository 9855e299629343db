// Every mutation repeated after a lost response (same idempotency key) has
// one effect and returns the first response; the same key with another
// payload is a typed error.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pruneIdempotencyRecords } from "../../src/idempotency/pruneIdempotencyRecords.ts";
import {
  type LockResult,
  operationFields,
  type OperationResult,
  rowCounts,
  type Schema,
  type TestServer,
  tusUpload,
  typedQuery,
  type UploadDeletionResult,
  useTestServer,
} from "@smsync/testkit";

const server = useTestServer();

const lock = typedQuery<{ lock: LockResult }>(
  `mutation($key: String!) { lock(idempotencyKey: $key) { fencingToken heldPreviously expiresAt } }`,
);
const unlock = typedQuery<{ unlock: boolean }>(
  `mutation($key: String!, $t: Int!) { unlock(idempotencyKey: $key, fencingToken: $t) }`,
);
const commit = typedQuery<{ commit: OperationResult }>(
  `mutation($key: String!, $t: Int!) { commit(idempotencyKey: $key, fencingToken: $t) { ${operationFields} } }`,
);
const deleteFiles = typedQuery<{ deleteFiles: UploadDeletionResult[] }>(
  `mutation($key: String!, $t: Int!, $files: [FileVersionInput!]!) { deleteFiles(idempotencyKey: $key, fencingToken: $t, files: $files) { fileUUID version } }`,
);
const reset = typedQuery<{ resetServerState: Schema.ResetResult }>(
  `mutation($key: String!) { resetServerState(idempotencyKey: $key) { releasedLock discardedUploads discardedDeletions } }`,
);

async function committedFile(device: Awaited<ReturnType<TestServer["newUser"]>>) {
  const { fencingToken } = await device.lock();
  const { fileUUID } = await tusUpload(server.url, device.token!, {
    version: 0,
    content: Buffer.from(randomUUID()),
    fencingToken,
  });
  await device.waitForOperation((await device.commit(fencingToken)).id);
  return fileUUID;
}

describe("idempotency keys", () => {
  it("lock: a retry returns the first grant, even after another call changed the lease", async () => {
    const device = await server.newUser();
    const key = randomUUID();
    const first = await device.ok(lock, { key });
    await device.lock();
    const replay = await device.ok(lock, { key });
    expect(replay).toEqual(first);
    expect(first.lock.heldPreviously).toBe(false);
  });

  it("unlock: a retry after the response was lost replays true, and does not release a later grant", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const key = randomUUID();
    expect((await device.ok(unlock, { key, t: fencingToken })).unlock).toBe(true);
    const again = await device.lock();
    expect((await device.ok(unlock, { key, t: fencingToken })).unlock).toBe(true);
    // The replay had no effect: the new grant still stands.
    expect((await device.lock()).fencingToken).toBe(again.fencingToken);
  });

  it("commit: a retry returns the same operation and creates no second one", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    await tusUpload(server.url, device.token!, { version: 0, content: Buffer.from("x"), fencingToken });
    const key = randomUUID();
    const first = (await device.ok(commit, { key, t: fencingToken })).commit;
    await device.waitForOperation(first.id);
    const replay = (await device.ok(commit, { key, t: fencingToken })).commit;
    expect(replay.id).toBe(first.id);
    const userId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
    expect(await server.app.services.db.operation.count({ where: { userId } })).toBe(1);
  });

  it("commit: concurrent duplicates with one key make one operation", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    await tusUpload(server.url, device.token!, { version: 0, content: Buffer.from("y"), fencingToken });
    const key = randomUUID();
    const results = await Promise.all([1, 2, 3].map(() => device.request(commit, { key, t: fencingToken })));
    const ids = new Set(results.map((result) => result.data?.commit?.id));
    expect(results.every((result) => !result.errors)).toBe(true);
    expect(ids.size).toBe(1);
  });

  it("deleteFiles: a retry records one upload-deletion and returns the first response", async () => {
    const device = await server.newUser();
    const fileUUID = await committedFile(device);
    const { fencingToken } = await device.lock();
    const key = randomUUID();
    const variables = { key, t: fencingToken, files: [{ fileUUID, version: 0 }] };
    const first = await device.ok(deleteFiles, variables);
    expect(await device.ok(deleteFiles, variables)).toEqual(first);
    expect(await server.app.services.db.uploadDeletion.count({ where: { fileUUID } })).toBe(1);
    const op = await device.waitForOperation((await device.commit(fencingToken)).id);
    expect(op.files).toHaveLength(1);
  });

  it("renewLock: a retry returns the first renewal and does not extend the lease again", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock(5);
    const renew = typedQuery<{ renewLock: Pick<Schema.LockGrant, "fencingToken" | "expiresAt"> }>(
      `mutation($key: String!, $t: Int!, $ttl: Int) { renewLock(idempotencyKey: $key, fencingToken: $t, ttlSeconds: $ttl) { fencingToken expiresAt } }`,
    );
    const key = randomUUID();
    const first = await device.ok(renew, { key, t: fencingToken, ttl: 30 });
    const replay = await device.ok(renew, { key, t: fencingToken, ttl: 30 });
    expect(replay).toEqual(first);
    const lockRow = await server.app.services.db.lock.findFirstOrThrow({ where: { user: { name: device.userName } } });
    expect(lockRow.expiresAt!.toISOString()).toBe(first.renewLock.expiresAt);
  });

  it("startInboundTransfer: a retry returns the same operation and starts no second one", async () => {
    const device = await server.newUser();
    const fileUUID = await committedFile(device);
    const { fencingToken } = await device.lock();
    const start = typedQuery<{ startInboundTransfer: Pick<Schema.Operation, "id"> }>(
      `mutation($key: String!, $t: Int!, $files: [FileVersionInput!]!) { startInboundTransfer(idempotencyKey: $key, fencingToken: $t, files: $files) { id } }`,
    );
    const variables = { key: randomUUID(), t: fencingToken, files: [{ fileUUID, version: 0 }] };
    const first = (await device.ok(start, variables)).startInboundTransfer;
    await device.waitForOperation(first.id);
    expect((await device.ok(start, variables)).startInboundTransfer.id).toBe(first.id);
    expect(
      await server.app.services.db.operation.count({ where: { kind: "INBOUND", user: { name: device.userName } } }),
    ).toBe(1);
  });

  it("resetServerState: a retry replays the first result", async () => {
    const device = await server.newUser();
    await device.lock();
    const key = randomUUID();
    const first = await device.ok(reset, { key });
    expect(first.resetServerState.releasedLock).toBe(true);
    await device.lock();
    expect(await device.ok(reset, { key })).toEqual(first);
    // The replay did not release the new lock.
    expect((await device.lock()).heldPreviously).toBe(true);
  });

  it("rejects the same key with another payload, and with another mutation, writing nothing", async () => {
    const device = await server.newUser();
    const { fencingToken } = await device.lock();
    const key = randomUUID();
    await device.ok(unlock, { key, t: fencingToken });
    const before = await rowCounts(server.app.services.db);
    const other = await device.request(unlock, { key, t: fencingToken + 5 });
    expect(other.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const otherMutation = await device.request(lock, { key });
    expect(otherMutation.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    // The lock call under the reused key did not run: the lock is still free.
    const { heldPreviously } = await device.lock();
    expect(heldPreviously).toBe(false);
  });

  it("keeps keys per user: another user's same key is independent", async () => {
    const alice = await server.newUser();
    const bob = await server.newUser();
    const key = randomUUID();
    const a = await alice.ok(lock, { key });
    const b = await bob.ok(lock, { key });
    expect(b.lock.heldPreviously).toBe(false);
    expect(a.lock.fencingToken).toBe(1);
  });

  it("does not store failed calls: a retry after a typed error runs again", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const held = await phone.lock();
    const key = randomUUID();
    const before = await rowCounts(server.app.services.db);
    expect((await laptop.request(lock, { key })).errors?.[0]?.extensions?.code).toBe("LOCK_HELD");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
    await phone.ok(unlock, { key: randomUUID(), t: held.fencingToken });
    // Once the refusal's retry hint has run out (a device asking sooner is refused again: lockLine.test.ts).
    server.clock.advance(1000);
    expect((await laptop.ok(lock, { key })).lock.heldPreviously).toBe(false);
  });

  it("rejects an empty or over-long key", async () => {
    const device = await server.newUser();
    const before = await rowCounts(server.app.services.db);
    expect((await device.request(lock, { key: "" })).errors?.[0]?.extensions?.code).toBe("BAD_INPUT");
    expect((await device.request(lock, { key: "k".repeat(129) })).errors?.[0]?.extensions?.code).toBe("BAD_INPUT");
    expect(await rowCounts(server.app.services.db)).toEqual(before);
  });
});

describe("retention", () => {
  it("drops stored responses older than the retention, keeping newer ones", async () => {
    const device = await server.newUser();
    await device.ok(lock, { key: randomUUID() });
    const userId = (await server.app.services.db.user.findUniqueOrThrow({ where: { name: device.userName } })).id;
    const count = () => server.app.services.db.idempotencyRecord.count({ where: { userId } });
    expect(await count()).toBe(1);
    await pruneIdempotencyRecords(server.app.services.db, 3600, server.app.services.clock.now());
    expect(await count()).toBe(1);
    await pruneIdempotencyRecords(server.app.services.db, 3600, new Date(Date.now() + 2 * 3600 * 1000));
    expect(await count()).toBe(0);
  });
});
