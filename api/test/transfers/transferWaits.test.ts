// A full cloud store, a cloud rate limit, a full staging disk (docs/protocol.md,
// "Transfers that wait"): the transfer waits without spending its attempts and
// never fails for it, tells the app once (an OPERATION_STATE event with
// CLOUD_STORAGE_FULL, CLOUD_RATE_LIMITED or STAGING_FULL) when the wait
// begins, and resumes by itself when there is room again. On each backend with
// an injected failure, and with real full file systems (tmpfs).
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDirectoryStorage } from "../../src/cloud/LocalDirectoryStorage.ts";
import {
  downloadUrlOf,
  eventually,
  FaultyCloudStorage,
  matchers,
  mountSmallFileSystem,
  sha256Hex,
  type SmallFileSystem,
  smallFileSystemSuite,
  smallFileSystemSupport,
  startTestServer,
  type TestGraphQLClient,
  type TestServer,
  type TransferEventPayload,
  transferEventPayload,
  tusUpload,
} from "@smsync/testkit";
import { onEachFaultyCloud } from "../support/faultyCloudServers.ts";

// Fewer attempts than the waits below: a wait that spent attempts would fail the transfer.
const maxAttempts = 2;
const waitMs = 60_000;
const environment = { SMSYNC_TRANSFER_MAX_ATTEMPTS: String(maxAttempts), SMSYNC_TRANSFER_STORAGE_FULL_POLL_MS: "100" };

async function stateEvents(server: TestServer, operationId: string): Promise<TransferEventPayload[]> {
  const rows = await server.app.services.db.event.findMany({
    where: { operationId, type: "OPERATION_STATE" },
    orderBy: { seq: "asc" },
  });
  return rows.map((row) => transferEventPayload(row.payload));
}

async function commitFile(server: TestServer, client: TestGraphQLClient, content: Buffer) {
  const fileUUID = randomUUID();
  const { fencingToken } = await client.lock();
  await tusUpload(server.url, client.token!, { fileUUID, version: 0, content, fencingToken });
  return { fileUUID, operation: await client.commit(fencingToken) };
}

let server: TestServer;
let cloud: FaultyCloudStorage;

onEachFaultyCloud(
  environment,
  (started) => ({ server, cloud } = started),
  () => {
    it("waits for room in a full store without spending attempts, tells the app once, and resumes by itself", async () => {
      const client = await server.newUser();
      const content = randomBytes(20_000);
      const writesBefore = cloud.calls.write;
      cloud.fail({ call: "write", kind: "storageFull", times: 5 });
      const { fileUUID, operation } = await commitFile(server, client, content);

      const done = await client.waitForOperation(operation.id, waitMs);
      expect(done).toMatchObject({ state: "SUCCEEDED", attempts: 0, errorCode: null, filesDone: 1 });
      expect(cloud.calls.write - writesBefore).toBe(6);
      expect(cloud.created.get(`${fileUUID}.v0`)).toBe(1);
      const waits = (await stateEvents(server, operation.id)).filter((payload) => payload.waiting || payload.retrying);
      expect(waits).toEqual([
        {
          state: "IN_PROGRESS",
          waiting: true,
          attempts: 0,
          errorCode: "CLOUD_STORAGE_FULL",
          errorMessage: matchers.stringContaining("storageFull"),
        },
      ]);
      expect((await stateEvents(server, operation.id)).at(-1)).toEqual({ state: "SUCCEEDED" });
      const index = await client.fileIndex();
      expect(index.files.find((file) => file.fileUUID === fileUUID)?.sha256).toBe(sha256Hex(content));
    });

    it("waits out a rate limit on a download without spending attempts", async () => {
      const phone = await server.newUser();
      const content = randomBytes(5000);
      const { fileUUID, operation } = await commitFile(server, phone, content);
      expect((await phone.waitForOperation(operation.id, waitMs)).state).toBe("SUCCEEDED");

      cloud.fail({ call: "read", kind: "rateLimited", times: 4 });
      const { fencingToken } = await phone.lock();
      const inbound = await phone.startInboundTransfer(fencingToken, [{ fileUUID, version: 0 }]);
      const done = await phone.waitForOperation(inbound.id, waitMs);
      expect(done).toMatchObject({ state: "SUCCEEDED", attempts: 0 });
      const waits = (await stateEvents(server, inbound.id)).filter((payload) => payload.waiting || payload.retrying);
      expect(waits.map((payload) => [payload.waiting, payload.errorCode])).toEqual([[true, "CLOUD_RATE_LIMITED"]]);
    });

    it("tells the app again when the reason changes, and a transient failure after a wait spends an attempt", async () => {
      const client = await server.newUser();
      // Faults strike in the order armed, each once the ones before it are spent: full, full, transient, full, full.
      cloud.fail({ call: "write", kind: "storageFull", times: 2 });
      cloud.fail({ call: "write", kind: "transient" });
      cloud.fail({ call: "write", kind: "storageFull", times: 2 });
      const { operation } = await commitFile(server, client, randomBytes(3000));

      expect(await client.waitForOperation(operation.id, waitMs)).toMatchObject({ state: "SUCCEEDED", attempts: 1 });
      const waits = (await stateEvents(server, operation.id)).filter((payload) => payload.waiting || payload.retrying);
      expect(waits.map((payload) => [payload.waiting ? "waiting" : "retrying", payload.errorCode])).toEqual([
        ["waiting", "CLOUD_STORAGE_FULL"],
        ["retrying", "CLOUD_TRANSIENT"],
        ["waiting", "CLOUD_STORAGE_FULL"],
      ]);
    });
  },
);

describe.skipIf(!smallFileSystemSupport.ok)(smallFileSystemSuite("full disks"), () => {
  let cloudDisk: SmallFileSystem;
  let stagingDisk: SmallFileSystem;
  let localServer: TestServer;
  let localCloud: FaultyCloudStorage;

  beforeAll(async () => {
    cloudDisk = mountSmallFileSystem(2 * 1024 * 1024);
    stagingDisk = mountSmallFileSystem(2 * 1024 * 1024);
    // The real local backend on its small file system; the wrapper only counts the calls.
    localCloud = new FaultyCloudStorage(new LocalDirectoryStorage(cloudDisk.dir));
    localServer = await startTestServer({ ...environment, SMSYNC_STAGING_DIR: stagingDisk.dir }, { cloud: localCloud });
  });
  afterAll(async () => {
    await localServer?.close();
    cloudDisk?.unmount();
    stagingDisk?.unmount();
  });

  it("waits while the local cloud's disk is full, spending no attempts, and finishes by itself once space returns", async () => {
    const client = await localServer.newUser();
    const content = randomBytes(600 * 1024);
    await cloudDisk.fill(64 * 1024);
    const { fileUUID, operation } = await commitFile(localServer, client, content);

    // More tries than the transfer has attempts, each answered ENOSPC.
    const waiting = await eventually(
      "several tries against the full disk",
      async () => ({ writes: localCloud.calls.write, operation: await client.operation(operation.id) }),
      ({ writes }) => writes > maxAttempts + 1,
      waitMs,
    );
    expect(waiting.operation).toMatchObject({
      state: "IN_PROGRESS",
      attempts: 0,
      errorCode: "CLOUD_STORAGE_FULL",
      filesDone: 0,
    });
    expect(waiting.operation?.errorMessage).toContain("ENOSPC");
    const events = await stateEvents(localServer, operation.id);
    expect(events.filter((payload) => payload.waiting)).toHaveLength(1);

    await cloudDisk.free();
    const done = await client.waitForOperation(operation.id, waitMs);
    expect(done).toMatchObject({ state: "SUCCEEDED", attempts: 0, errorCode: null, filesDone: 1 });
    const index = await client.fileIndex();
    expect(index.files.find((file) => file.fileUUID === fileUUID)?.sha256).toBe(sha256Hex(content));
  });

  it("a download waits while the staging disk is full, spending no attempts, and finishes by itself once space returns", async () => {
    const client = await localServer.newUser();
    const content = randomBytes(300 * 1024);
    const { fileUUID, operation } = await commitFile(localServer, client, content);
    expect((await client.waitForOperation(operation.id, waitMs)).state).toBe("SUCCEEDED");
    await stagingDisk.fill(64 * 1024);

    const { fencingToken } = await client.lock();
    const readsBefore = localCloud.calls.read;
    const inbound = await client.startInboundTransfer(fencingToken, [{ fileUUID, version: 0 }]);
    const waiting = await eventually(
      "several tries against the full staging disk",
      async () => ({ reads: localCloud.calls.read - readsBefore, operation: await client.operation(inbound.id) }),
      ({ reads }) => reads > maxAttempts + 1,
      waitMs,
    );
    expect(waiting.operation).toMatchObject({
      state: "IN_PROGRESS",
      attempts: 0,
      errorCode: "STAGING_FULL",
      filesDone: 0,
    });
    expect((await stateEvents(localServer, inbound.id)).filter((payload) => payload.waiting)).toHaveLength(1);

    await stagingDisk.free();
    const done = await client.waitForOperation(inbound.id, waitMs);
    expect(done).toMatchObject({ state: "SUCCEEDED", attempts: 0, errorCode: null });
    const response = await fetch(downloadUrlOf(done), { headers: { authorization: `Bearer ${client.token}` } });
    expect(Buffer.from(await response.arrayBuffer()).equals(content)).toBe(true);
  });
});
