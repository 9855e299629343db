// The server as a separate process for the engine's restart tests
// (engine/serverRestart*.test.ts): started once per test file, killed
// (SIGKILL, or its own crash points) and started again on the same port, data
// directory and database; devices of the test process against it; and the
// checks of what the server holds afterwards.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { LocalDirectoryStorage } from "@smsync/api";
import { ProcessServer, type TestUser } from "@smsync/testkit";
import { openTestDevice, type OpenClientOptions, type TestDevice } from "./engineHarness.ts";
import { sha256Hex } from "../transfers/helpers.ts";

// A short claim lets the restarted server take the dead worker's transfer over quickly.
export const baseEnv = { SMSYNC_TRANSFER_CLAIM_SECONDS: "1" };
export const binary = { mimeType: "application/octet-stream" };
/** Larger than what loopback sockets buffer, so that a kill on the first bytes leaves most of the body unsent. */
export const bigSize = 32 * 1024 * 1024;

export let server: ProcessServer;
let dir: string;
const opened: TestDevice[] = [];

/** Registers the hooks that start the file's server process (and folder) and close it all afterwards. */
export function useServerProcess(): void {
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
}

/** An SmsyncClient of the device against the server process (closed after the file). */
export async function openDevice(user: TestUser, options: OpenClientOptions = {}): Promise<TestDevice> {
  const device = await openTestDevice(user.client, { ...options, serverUrl: server.url }, dir);
  opened.push(device);
  return device;
}

/** A file with this content in the file's folder. */
export function writeFile(content: Buffer): string {
  const file = path.join(dir, `file-${randomUUID()}`);
  writeFileSync(file, content);
  return file;
}

/**
 * Starts the server again once the killed one has exited (what the device
 * meets meanwhile is a refused connection); returns what the killed one wrote.
 */
export async function restartAfterExit(): Promise<string> {
  const killed = server.current!;
  const exit = await killed.waitForExit();
  expect(exit.signal).toBe("SIGKILL");
  await server.start(baseEnv);
  return killed.output();
}

/** SIGKILLs the server as soon as the device has sent or received the first bytes of the file: the request is in flight, most of it still to come. */
export function killServerOnFirstBytes(device: TestDevice, direction: "upload" | "download", fileUUID: string) {
  let killedAt: number | null = null;
  const stopWatching = device.client.on("transferProgress", (event) => {
    if (killedAt === null && event.direction === direction && event.fileUUID === fileUUID && event.bytesDone > 0) {
      killedAt = event.bytesDone;
      void server.current!.kill("SIGKILL");
    }
  });
  return { stopWatching, atBytes: () => killedAt };
}

export interface ExpectedFile {
  fileUUID: string;
  version: number;
  content: Buffer;
}

/** The server holds exactly these files (each at its version, once), one cloud object each with its bytes; every operation ended; the lock is free. */
export async function expectServerHolds(user: TestUser, files: ExpectedFile[]): Promise<void> {
  const byUUID = (a: { fileUUID: string }, b: { fileUUID: string }) => a.fileUUID.localeCompare(b.fileUUID);
  const index = (await user.client.fileIndex()).files
    .map((file: { fileUUID: string; version: number; deleted: boolean; sha256: string }) => ({
      fileUUID: file.fileUUID,
      version: file.version,
      deleted: file.deleted,
      sha256: file.sha256,
    }))
    .sort(byUUID);
  expect(index).toEqual(
    files
      .map((file) => ({
        fileUUID: file.fileUUID,
        version: file.version,
        deleted: false,
        sha256: sha256Hex(file.content),
      }))
      .sort(byUUID),
  );
  const cloud = new LocalDirectoryStorage(server.cloudDir);
  const objects = await cloud.listObjects(user.userId);
  expect(objects.map((object) => `${object.fileUUID}.${object.version}`).sort()).toEqual(
    files.map((file) => `${file.fileUUID}.${file.version}`).sort(),
  );
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

export async function operationCount(user: TestUser, kind: "INBOUND" | "OUTBOUND"): Promise<number> {
  return server.db().operation.count({ where: { userId: user.userId, kind } });
}

/** A device with a committed batch of a big and a small new file; returns the files. */
/** A batch of a big file, then a small one. */
export async function queueBatch(device: TestDevice): Promise<[big: ExpectedFile, small: ExpectedFile]> {
  const files: [ExpectedFile, ExpectedFile] = [
    { fileUUID: randomUUID(), version: 0, content: randomBytes(bigSize) },
    { fileUUID: randomUUID(), version: 0, content: randomBytes(4096) },
  ];
  for (const file of files)
    await device.client.uploadFile(file.fileUUID, writeFile(file.content), {
      cloudFileName: `${file.fileUUID}.bin`,
      ...binary,
    });
  await device.client.commit();
  return files;
}
