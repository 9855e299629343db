// A server transfer that waits for the cloud (its storage full, or a rate
// limit): the engine tells the app at once, with one transferWaiting event
// that names the wait, keeps following the transfer while the server waits
// and retries (spending no attempts), and ends the pass well once it is done.
// An upload the server's staging area has no room for: the event at once,
// the pass ends idle, and the engine's own later pass finishes the upload.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, assert, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  mountSmallFileSystem,
  type SmallFileSystem,
  smallFileSystemSuite,
  smallFileSystemSupport,
} from "@smsync/testkit";
import type { TransferWaitingEvent } from "../../src/engine/transferWaits.ts";
import { startEngineHarness, useEngineHarness, type EngineHarness } from "../support/engineHarness.ts";
import { useFaultyLocalCloud } from "../support/faultyLocalCloud.ts";
import { sha256Hex } from "../transfers/helpers.ts";
import { anyString, stringContaining } from "../support/matchers.ts";

const cloud = useFaultyLocalCloud();
// One attempt: a wait that spent attempts would fail the transfer.
const harness = useEngineHarness(
  { SMSYNC_TRANSFER_MAX_ATTEMPTS: "1", SMSYNC_TRANSFER_STORAGE_FULL_POLL_MS: "100" },
  { cloud },
);

it("tells the app once, while the upload still waits, that the cloud storage is full; the pass ends well when the server's transfer is done", async () => {
  const phone = await harness.newUser();
  const device = await harness.openClient(phone);
  const fileUUID = randomUUID();
  const content = Buffer.from("waits for room in the cloud");
  await device.client.uploadData(fileUUID, content, { cloudFileName: "waits.txt", mimeType: "text/plain" });
  await device.client.commit();
  cloud.fail({ call: "write", kind: "storageFull", times: 6, fileUUID });
  const waits: { event: TransferWaitingEvent; objectWritten: boolean }[] = [];
  device.client.on("transferWaiting", (event) =>
    waits.push({ event, objectWritten: cloud.created.has(`${fileUUID}.v0`) }),
  );

  await device.client.sync();
  expect(waits).toEqual([
    {
      event: {
        direction: "upload",
        code: "CLOUD_STORAGE_FULL",
        operationId: anyString(),
        message: stringContaining("storageFull"),
      },
      objectWritten: false,
    },
  ]);
  expect(device.client.mode).toBe("idle");
  expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID, sha256: sha256Hex(content) }]);
  const [wait] = waits;
  assert.exists(wait);
  const operation = (await phone.operation(wait.event.operationId!)) as unknown;
  expect(operation).toMatchObject({ state: "SUCCEEDED", attempts: 0 });
});

it("tells the app once that a download waits out the cloud's rate limit", async () => {
  const phone = await harness.newUser();
  const writer = await harness.openClient(phone);
  const fileUUID = randomUUID();
  await writer.client.uploadData(fileUUID, Buffer.from("read slowly"), {
    cloudFileName: "slow.txt",
    mimeType: "text/plain",
  });
  await writer.client.commit();
  await writer.client.sync();

  const reader = await harness.openClient(await harness.newDevice(phone.userName));
  const waits: TransferWaitingEvent[] = [];
  reader.client.on("transferWaiting", (event) => waits.push(event));
  cloud.fail({ call: "read", kind: "rateLimited", times: 3, fileUUID });
  await reader.client.sync();
  expect(waits).toEqual([
    { direction: "download", code: "CLOUD_RATE_LIMITED", operationId: anyString(), message: anyString() },
  ]);
  expect(reader.app.saved.map(({ bytes }) => bytes.toString())).toEqual(["read slowly"]);
});

describe.skipIf(!smallFileSystemSupport.ok)(
  smallFileSystemSuite("an upload the server's staging area has no room for"),
  () => {
    let stagingDisk: SmallFileSystem;
    let full: EngineHarness;

    beforeAll(async () => {
      stagingDisk = mountSmallFileSystem(2 * 1024 * 1024);
      full = await startEngineHarness({ SMSYNC_STAGING_DIR: stagingDisk.dir });
    });
    afterAll(async () => {
      await full?.close();
      stagingDisk?.unmount();
    });

    it("tells the app at once, ends the pass idle with the upload kept, and a pass of its own finishes it once there is room", async () => {
      const phone = await full.newUser();
      const device = await full.openClient(phone);
      const fileUUID = randomUUID();
      const content = randomBytes(600 * 1024);
      await device.client.uploadData(fileUUID, content, {
        cloudFileName: "big.bin",
        mimeType: "application/octet-stream",
      });
      await device.client.commit();
      const waits: TransferWaitingEvent[] = [];
      device.client.on("transferWaiting", (event) => waits.push(event));
      await stagingDisk.fill(128 * 1024);
      try {
        await device.client.sync();
        expect(waits).toEqual([
          {
            direction: "upload",
            code: "STAGING_FULL",
            operationId: null,
            message: stringContaining("staging area is full"),
          },
        ]);
        expect(device.client.mode).toBe("idle");
        expect(await device.store.list("beingUploaded")).toHaveLength(1);
      } finally {
        await stagingDisk.free();
      }
      // No call from the app: the engine's own pass (after its longest backoff) resumes the upload.
      await eventually(
        "the upload indexed by a pass of the engine's own",
        () => phone.fileIndex(),
        (index) => index.files.length === 1,
        30_000,
      );
      expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID, sha256: sha256Hex(content) }]);
    });
  },
);
