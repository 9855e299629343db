// The client process killed with SIGKILL at each named persistence point of
// the engine (SMSYNC_CLIENT_CRASH_AT, src/engine/crashPoints.ts) and
// relaunched over the same SQLite store: the relaunch finishes the work,
// the server ends with exactly the batch, and the app is given each download
// and each deletion once. The cases are in four test files
// (crashRelaunch.{uploads,deltas,renewal,downloads}.test.ts), so that two workers
// share them; each file starts its own server (serverPerFile).
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sweepStaging } from "@smsync/api";
import { SqliteStore } from "../../src/store/SqliteStore.ts";
import { Outbox } from "../../src/graphql/outbox/index.ts";
import { renewLockMutation } from "../../src/graphql/operations.ts";
import type { ClientCrashPoint } from "../../src/engine/crashPoints.ts";
import { nodeArgs, startCuttingProxy, type CuttingProxy } from "@smsync/testkit";
import { startEngineHarness, type EngineHarness } from "../support/engineHarness.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";
import type { ClientProcessArgs, Step } from "./fixtures/clientProcess.ts";
import { sortedUUIDs } from "../support/uuids.ts";
import { operationEnded } from "../support/serverReads.ts";
import { expectNothingPending } from "../support/syncedState.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, "fixtures", "clientProcess.ts");
const clientDir = path.resolve(here, "..", "..");

let harness: EngineHarness;
let proxy: CuttingProxy;

/** Each test file of the cases starts its own server and proxy (isolate: false keeps this module between files). */
export function serverPerFile(): void {
  beforeAll(async () => {
    harness = await startEngineHarness();
    proxy = await startCuttingProxy(new URL(harness.server.url).port);
  });
  afterAll(async () => {
    await proxy?.close();
    await harness?.close();
  });
}

interface Device {
  token: string;
  storeFile: string;
  workDir: string;
  appDir: string;
  /** The app has a saveDownloads callback. */
  saveDownloads?: boolean;
}

function newDeviceFiles(token: string, saveDownloads = false): Device {
  const base = path.join(harness.dir, `device-${randomUUID()}`);
  mkdirSync(base, { recursive: true });
  return {
    token,
    storeFile: path.join(base, "store.sqlite"),
    workDir: path.join(base, "work"),
    appDir: path.join(base, "app"),
    saveDownloads,
  };
}

/** Runs the app process; resolves with how it ended. */
function runClient(device: Device, steps: Step[], crashAt?: ClientCrashPoint, serverUrl = harness.server.url) {
  const args: ClientProcessArgs = {
    serverUrl,
    token: device.token,
    storeFile: device.storeFile,
    workDir: device.workDir,
    appDir: device.appDir,
    steps,
    ...(device.saveDownloads ? { saveDownloads: true } : {}),
  };
  const env = { ...process.env };
  delete env.SMSYNC_CLIENT_CRASH_AT;
  if (crashAt) env.SMSYNC_CLIENT_CRASH_AT = crashAt;
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [...nodeArgs(fixture), JSON.stringify(args)], {
        cwd: clientDir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.on("error", reject);
      child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
}

async function expectCompleted(
  run: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>,
) {
  const result = await run;
  expect(result.signal, result.stderr).toBeNull();
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout.trim())).toEqual({ mode: "idle" });
}

async function expectKilled(run: ReturnType<typeof runClient>, point: string) {
  const result = await run;
  expect(result.signal, `${point}: ${result.stderr}${result.stdout}`).toBe("SIGKILL");
  expect(result.stderr).toContain(`crash point ${point} reached`);
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).sort() : [];
}

async function expectStoreDrained(storeFile: string) {
  const store = await SqliteStore.open(storeFile);
  try {
    await expectNothingPending(store);
  } finally {
    await store.close();
  }
}

const uploadPoints: ClientCrashPoint[] = [
  "lock.keyStored",
  "lock.granted",
  "upload.batchBegun",
  "upload.fileDone",
  "upload.deletionsRecorded",
  "upload.commitSent",
  "upload.commitAccepted",
  "upload.batchFinished",
];

const downloadPoints: ClientCrashPoint[] = [
  "lock.keyStored",
  "lock.granted",
  "deletions.applied",
  "download.planned",
  "download.started",
  "download.fileAcknowledged",
  "download.finished",
];

export function uploadingCases(): void {
  for (const point of uploadPoints) {
    it(`at ${point}`, async () => {
      const phone = await harness.newUser();
      const device = newDeviceFiles(phone.token!);
      // Uploads go in fileUUID order: the big file first.
      const [uuidBig, uuidSmall, uuidGone] = sortedUUIDs(3);
      const big = randomBytes(512 * 1024);
      const small = randomBytes(10 * 1024);
      await expectCompleted(
        runClient(device, [
          { uploadFile: { fileUUID: uuidGone, path: harness.writeFile("to be deleted"), cloudFileName: "gone.txt" } },
          "commit",
          "sync",
          { uploadFile: { fileUUID: uuidBig, path: harness.writeFile(big), cloudFileName: "big.bin" } },
          { uploadFile: { fileUUID: uuidSmall, path: harness.writeFile(small), cloudFileName: "small.bin" } },
          { deleteFile: uuidGone },
          "commit",
        ]),
      );
      await expectKilled(runClient(device, ["sync"], point), point);
      proxy.resetStats();
      await expectCompleted(runClient(device, ["sync"], undefined, proxy.url));
      if (point === "upload.fileDone") {
        // Killed after the big file was uploaded: the relaunch sends only the small one.
        expect(proxy.stats.bytesUp).toBeLessThan(big.length);
      }

      const index = new Map((await phone.fileIndex()).files.map((file: { fileUUID: string }) => [file.fileUUID, file]));
      expect(index.get(uuidBig)).toMatchObject({ version: 0, sha256: sha256Hex(big), deleted: false });
      expect(index.get(uuidSmall)).toMatchObject({ version: 0, sha256: sha256Hex(small), deleted: false });
      expect(index.get(uuidGone)).toMatchObject({ version: 0, deleted: true });
      expect(sha256Hex((await cloudContent(harness.server, phone.userName, uuidBig))!)).toBe(sha256Hex(big));
      expect(sha256Hex((await cloudContent(harness.server, phone.userName, uuidSmall))!)).toBe(sha256Hex(small));
      expect(await cloudContent(harness.server, phone.userName, uuidGone)).toBeNull();
      await expectStoreDrained(device.storeFile);
    });
  }
}

/** The kill points of a batch whose one upload is a change sent as a delta: before it, after it, after the commit. */
const deltaPoints: ClientCrashPoint[] = ["upload.batchBegun", "upload.fileDone", "upload.commitSent"];

export function deltaUploadCases(): void {
  for (const point of deltaPoints) {
    it(`at ${point}`, async () => {
      const phone = await harness.newUser();
      const device = newDeviceFiles(phone.token!);
      const fileUUID = randomUUID();
      const v0 = randomBytes(3 * 1024 * 1024);
      const v1 = Buffer.from(v0);
      randomBytes(4096).copy(v1, 2 * 1024 * 1024 + 5);
      const step = (content: Buffer) => ({
        uploadFile: { fileUUID, path: harness.writeFile(content), cloudFileName: "big.bin" },
      });
      await expectCompleted(runClient(device, [step(v0), "commit", "sync", step(v1), "commit"]));
      proxy.resetStats();
      await expectKilled(runClient(device, ["sync"], point, proxy.url), point);
      const bytesBeforeKill = proxy.stats.bytesUp;
      proxy.resetStats();
      await expectCompleted(runClient(device, ["sync"], undefined, proxy.url));
      // The change went up as a delta: neither run sent the file whole.
      expect(bytesBeforeKill).toBeLessThan(1024 * 1024);
      expect(proxy.stats.bytesUp).toBeLessThan(1024 * 1024);

      const [indexed] = (await phone.fileIndex()).files;
      expect(indexed).toMatchObject({ fileUUID, version: 1, sha256: sha256Hex(v1), deleted: false });
      expect(sha256Hex((await cloudContent(harness.server, phone.userName, fileUUID))!)).toBe(sha256Hex(v1));
      await expectStoreDrained(device.storeFile);
    });
  }
}

/** Stores a lease renewal as pending in the device's outbox: what a kill leaves when it cuts a renewal in flight. */
async function leaveRenewalInFlight(storeFile: string) {
  const store = await SqliteStore.open(storeFile);
  try {
    const outbound = await store.get("meta", "engine.outbound");
    const outbox = new Outbox(store);
    await outbox.enqueue(renewLockMutation, {
      idempotencyKey: randomUUID(),
      fencingToken: outbound?.fencingToken ?? 1,
    });
    await outbox.close();
  } finally {
    await store.close();
  }
}

export function renewalInFlightCases(): void {
  // The relaunch sends the dead process's renewal; nobody waits for its answer, so none must stay stored.
  for (const point of uploadPoints.filter((point) => point !== "upload.deletionsRecorded")) {
    it(`at ${point}`, async () => {
      const phone = await harness.newUser();
      const device = newDeviceFiles(phone.token!);
      const uuid = randomUUID();
      const content = randomBytes(64 * 1024);
      await expectCompleted(
        runClient(device, [
          { uploadFile: { fileUUID: uuid, path: harness.writeFile(content), cloudFileName: "file.bin" } },
          "commit",
        ]),
      );
      await expectKilled(runClient(device, ["sync"], point), point);
      await leaveRenewalInFlight(device.storeFile);
      await expectCompleted(runClient(device, ["sync"]));

      expect((await phone.fileIndex()).files).toMatchObject([
        { fileUUID: uuid, version: 0, sha256: sha256Hex(content), deleted: false },
      ]);
      await expectStoreDrained(device.storeFile);
    });
  }
}

/** With `saveDownloads`, the app takes the small files in groups (both new versions here are small). */
export function downloadingCases({ saveDownloads = false } = {}): void {
  for (const point of downloadPoints) {
    it(`at ${point}`, async () => {
      const phone = await harness.newUser();
      const laptop = await harness.newDevice(phone.userName);
      const a = await harness.openClient(phone);
      const device = newDeviceFiles(laptop.token!, saveDownloads);
      const [uuid1, uuid2, uuidGone] = [randomUUID(), randomUUID(), randomUUID()];
      const text = { mimeType: "text/plain" };
      await a.client.uploadData(uuid1, Buffer.from("one v0"), { cloudFileName: "one", ...text });
      await a.client.uploadData(uuid2, Buffer.from("two v0"), { cloudFileName: "two", ...text });
      await a.client.uploadData(uuidGone, Buffer.from("gone v0"), { cloudFileName: "gone", ...text });
      await a.client.commit();
      await a.client.sync();
      await expectCompleted(runClient(device, ["sync"]));
      const [one1, two1] = [randomBytes(100 * 1024), randomBytes(100 * 1024)];
      await a.client.uploadData(uuid1, one1, { cloudFileName: "one", ...text });
      await a.client.uploadData(uuid2, two1, { cloudFileName: "two", ...text });
      await a.client.deleteFile(uuidGone);
      await a.client.commit();
      await a.client.sync();

      await expectKilled(runClient(device, ["sync"], point), point);
      await expectCompleted(runClient(device, ["sync"]));

      expect(lines(path.join(device.appDir, "deliveries.log"))).toEqual(
        [`${uuid1}.0`, `${uuid1}.1`, `${uuid2}.0`, `${uuid2}.1`, `${uuidGone}.0`].sort(),
      );
      expect(lines(path.join(device.appDir, "deletions.log"))).toEqual([uuidGone]);
      expect(readFileSync(path.join(device.appDir, `${uuid1}.1`))).toEqual(one1);
      expect(readFileSync(path.join(device.appDir, `${uuid2}.1`))).toEqual(two1);
      await expectStoreDrained(device.storeFile);
    });
  }
}

export function stagedCopiesExpiredCases(): void {
  it("plans the downloads again and delivers each file once", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    const device = newDeviceFiles(laptop.token!);
    const [uuid1, uuid2] = [randomUUID(), randomUUID()];
    const [content1, content2] = [randomBytes(50 * 1024), randomBytes(50 * 1024)];
    await a.client.uploadData(uuid1, content1, { cloudFileName: "one", mimeType: "application/octet-stream" });
    await a.client.uploadData(uuid2, content2, { cloudFileName: "two", mimeType: "application/octet-stream" });
    await a.client.commit();
    await a.client.sync();
    await expectKilled(runClient(device, ["sync"], "download.started"), "download.started");
    const store = await SqliteStore.open(device.storeFile);
    const inbound = await store.get("meta", "engine.inbound");
    await store.close();
    expect((await operationEnded(laptop, inbound!.operationId!)).state).toBe("SUCCEEDED");
    // The server's sweeper, run as if two days had passed: every staged download is gone.
    const swept = await sweepStaging(harness.server.app.services, new Date(Date.now() + 2 * 24 * 3600 * 1000));
    expect(swept.inbound).toBeGreaterThanOrEqual(2);
    await expectCompleted(runClient(device, ["sync"]));
    expect(lines(path.join(device.appDir, "deliveries.log"))).toEqual([`${uuid1}.0`, `${uuid2}.0`].sort());
    expect(readFileSync(path.join(device.appDir, `${uuid1}.0`))).toEqual(content1);
    expect(readFileSync(path.join(device.appDir, `${uuid2}.0`))).toEqual(content2);
    await expectStoreDrained(device.storeFile);
  });
}
