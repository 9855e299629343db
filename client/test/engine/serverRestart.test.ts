// The server killed in the middle of a transfer and started again on the
// same port, data directory and database, while a device syncs against it
// (the real server as a separate process, api/test/support/serverProcess.ts):
// killed with SIGKILL while the device's tus upload is in flight, killed by
// its own crash points (api/src/faults/crashPoints.ts) while it runs the
// committed outbound transfer or stages an inbound one, and killed while the
// device downloads. The device's engine waits it out (networkNotConnected)
// and finishes its pass: each change on the server once, one cloud object
// per file version, each download handed to the app once with its bytes, no
// operation unfinished, the lock free, the device's queues empty.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDirectoryStorage } from "../../../api/src/cloud/LocalDirectoryStorage.ts";
import type { CrashPoint } from "../../../api/src/faults/crashPoints.ts";
import { ProcessServer, type TestUser } from "../../../api/test/support/serverProcess.ts";
import { openTestDevice, type TestDevice } from "../support/engineHarness.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

// A short claim lets the restarted server take the dead worker's transfer over quickly.
const baseEnv = { SMSYNC_TRANSFER_CLAIM_SECONDS: "1" };
const binary = { mimeType: "application/octet-stream" };
/** Larger than what loopback sockets buffer, so that a kill on the first bytes leaves most of the body unsent. */
const bigSize = 32 * 1024 * 1024;

let server: ProcessServer;
let dir: string;
const opened: TestDevice[] = [];

beforeAll(async () => {
  server = await ProcessServer.create();
  await server.start(baseEnv);
  dir = mkdtempSync(path.join(tmpdir(), "smsync-restart-"));
});
afterAll(async () => {
  for (const device of opened) await device.client.close({ closeStore: true }).catch(() => undefined);
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function openDevice(user: TestUser): Promise<TestDevice> {
  const device = await openTestDevice(user.client, { serverUrl: server.url }, dir);
  opened.push(device);
  return device;
}

function writeFile(content: Buffer): string {
  const file = path.join(dir, `file-${randomUUID()}`);
  writeFileSync(file, content);
  return file;
}

/**
 * Starts the server again once the killed one has exited (what the device
 * meets meanwhile is a refused connection); returns what the killed one wrote.
 */
async function restartAfterExit(): Promise<string> {
  const killed = server.current!;
  const exit = await killed.waitForExit();
  expect(exit.signal).toBe("SIGKILL");
  await server.start(baseEnv);
  return killed.output();
}

/** SIGKILLs the server as soon as the device has sent or received the first bytes of the file: the request is in flight, most of it still to come. */
function killServerOnFirstBytes(device: TestDevice, direction: "upload" | "download", fileUUID: string) {
  let killedAt: number | null = null;
  const stopWatching = device.client.on("transferProgress", (event) => {
    if (killedAt === null && event.direction === direction && event.fileUUID === fileUUID && event.bytesDone > 0) {
      killedAt = event.bytesDone;
      void server.current!.kill("SIGKILL");
    }
  });
  return { stopWatching, atBytes: () => killedAt };
}

interface ExpectedFile {
  fileUUID: string;
  version: number;
  content: Buffer;
}

/** The server holds exactly these files (each at its version, once), one cloud object each with its bytes; every operation ended; the lock is free. */
async function expectServerHolds(user: TestUser, files: ExpectedFile[]): Promise<void> {
  const byUUID = (a: { fileUUID: string }, b: { fileUUID: string }) => a.fileUUID.localeCompare(b.fileUUID);
  const index = (await user.client.fileIndex()).files
    .map((file: { fileUUID: string; version: number; deleted: boolean; sha256: string }) => ({ fileUUID: file.fileUUID, version: file.version, deleted: file.deleted, sha256: file.sha256 }))
    .sort(byUUID);
  expect(index).toEqual(files.map((file) => ({ fileUUID: file.fileUUID, version: file.version, deleted: false, sha256: sha256Hex(file.content) })).sort(byUUID));
  const cloud = new LocalDirectoryStorage(server.cloudDir);
  const objects = await cloud.listObjects(user.userId);
  expect(objects.map((object) => `${object.fileUUID}.${object.version}`).sort()).toEqual(files.map((file) => `${file.fileUUID}.${file.version}`).sort());
  for (const object of objects) {
    const chunks: Buffer[] = [];
    for await (const chunk of await cloud.readObject(user.userId, object.objectId)) chunks.push(chunk as Buffer);
    const expected = files.find((file) => file.fileUUID === object.fileUUID)!;
    expect(sha256Hex(Buffer.concat(chunks)), object.fileUUID).toBe(sha256Hex(expected.content));
  }
  const db = server.db();
  const unfinished = await db.operation.findMany({ where: { userId: user.userId, state: { not: "SUCCEEDED" } } });
  expect(unfinished, "unfinished operations").toEqual([]);
  const lock = await db.lock.findUnique({ where: { userId: user.userId } });
  expect(lock?.holderDeviceId ?? null, "lock holder").toBeNull();
}

async function operationCount(user: TestUser, kind: "INBOUND" | "OUTBOUND"): Promise<number> {
  return server.db().operation.count({ where: { userId: user.userId, kind } });
}

/** A device with a committed batch of a big and a small new file; returns the files. */
async function queueBatch(device: TestDevice): Promise<ExpectedFile[]> {
  const files = [
    { fileUUID: randomUUID(), version: 0, content: randomBytes(bigSize) },
    { fileUUID: randomUUID(), version: 0, content: randomBytes(4096) },
  ];
  for (const file of files) await device.client.uploadFile(file.fileUUID, writeFile(file.content), { cloudFileName: `${file.fileUUID}.bin`, ...binary });
  await device.client.commit();
  return files;
}

describe("the server killed and restarted while a device uploads a batch", () => {
  it("killed (SIGKILL) while the tus upload is in flight: the upload resumes and the batch is committed once", async () => {
    const user = await server.newUser();
    const device = await openDevice(user);
    const files = await queueBatch(device);
    const big = files[0];
    const killed = killServerOnFirstBytes(device, "upload", big.fileUUID);
    const modes = await Promise.all([syncUntilIdle(device.client), restartAfterExit()]).then(([seen]) => seen);
    killed.stopWatching();
    expect(killed.atBytes(), "killed in the middle of the upload").not.toBeNull();
    expect(killed.atBytes()!).toBeLessThan(bigSize);
    expect(modes).toContain("networkNotConnected");
    await expectServerHolds(user, files);
    expect(await operationCount(user, "OUTBOUND")).toBe(1);
    expect((await device.store.list("files")).map(({ key }) => key).sort()).toEqual(files.map((file) => file.fileUUID).sort());
    await expectNothingPending(device.store);
  });

  const outboundCrashes: { point: CrashPoint; after?: number; note: string }[] = [
    { point: "outbound.midCloudWrite", note: "while writing the first file to the cloud" },
    { point: "outbound.afterIndexUpdate", note: "after the first file was indexed, before the second" },
    { point: "outbound.beforeRelease", note: "with every file done, before the lock was released" },
  ];
  for (const { point, after, note } of outboundCrashes) {
    it(`killed after commit, ${note} (${point}): the transfer is finished by the restarted server, the device sees it through`, async () => {
      await server.restart({ ...baseEnv, SMSYNC_CRASH_AT: point, SMSYNC_CRASH_AFTER: String(after ?? 0) });
      const user = await server.newUser();
      const device = await openDevice(user);
      const files = await queueBatch(device);
      const [modes, killedOutput] = await Promise.all([syncUntilIdle(device.client), restartAfterExit()]);
      expect(killedOutput).toContain(`crash point ${point} reached`);
      expect(modes).toContain("networkNotConnected");
      await expectServerHolds(user, files);
      expect(await operationCount(user, "OUTBOUND")).toBe(1);
      await expectNothingPending(device.store);
    });
  }
});

describe("the server killed and restarted while a device downloads", () => {
  /** A user whose first device has uploaded a big and a small file; a second device to download them. */
  async function filesToDownload() {
    const user = await server.newUser();
    const files = [
      { fileUUID: randomUUID(), version: 0, content: randomBytes(bigSize) },
      { fileUUID: randomUUID(), version: 0, content: randomBytes(4096) },
    ];
    const seeder = await openDevice(user);
    for (const file of files) await seeder.client.uploadFile(file.fileUUID, writeFile(file.content), { cloudFileName: `${file.fileUUID}.bin`, ...binary });
    await seeder.client.commit();
    await syncUntilIdle(seeder.client);
    const second = await server.newDevice(user.userName);
    return { user, files, device: await openDevice(second) };
  }

  function expectDeliveredOnce(device: TestDevice, files: ExpectedFile[]) {
    const delivered = device.app.saved.map(({ file, bytes }) => `${file.fileUUID}.${file.version}:${sha256Hex(bytes)}`).sort();
    expect(delivered).toEqual(files.map((file) => `${file.fileUUID}.${file.version}:${sha256Hex(file.content)}`).sort());
  }

  it("killed (SIGKILL) in the middle of the download body: the download resumes, the app gets each file once", async () => {
    const { user, files, device } = await filesToDownload();
    const big = files[0];
    const killed = killServerOnFirstBytes(device, "download", big.fileUUID);
    const modes = await Promise.all([syncUntilIdle(device.client), restartAfterExit()]).then(([seen]) => seen);
    killed.stopWatching();
    expect(killed.atBytes(), "killed in the middle of the download").not.toBeNull();
    expect(killed.atBytes()!).toBeLessThan(bigSize);
    expect(modes).toContain("networkNotConnected");
    expectDeliveredOnce(device, files);
    await expectServerHolds(user, files);
    expect(await operationCount(user, "INBOUND")).toBe(1);
    await expectNothingPending(device.store);
  });

  it("killed while staging the inbound transfer (inbound.midCloudRead): the restarted server finishes it, the app gets each file once", async () => {
    const { user, files, device } = await filesToDownload();
    await server.restart({ ...baseEnv, SMSYNC_CRASH_AT: "inbound.midCloudRead" });
    const [modes, killedOutput] = await Promise.all([syncUntilIdle(device.client), restartAfterExit()]);
    expect(killedOutput).toContain("crash point inbound.midCloudRead reached");
    expect(modes).toContain("networkNotConnected");
    expectDeliveredOnce(device, files);
    await expectServerHolds(user, files);
    expect(await operationCount(user, "INBOUND")).toBe(1);
    await expectNothingPending(device.store);
  });
});
