// A server transfer that waits for the cloud (its storage full, or a rate
// limit): the engine tells the app at once, with one transferWaiting event
// that names the wait, keeps following the transfer while the server waits
// and retries (spending no attempts), and ends the pass well once it is done.
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { TransferWaitingEvent } from "../../src/engine/transferWaits.ts";
import { useEngineHarness } from "../support/engineHarness.ts";
import { useFaultyLocalCloud } from "../support/faultyLocalCloud.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const cloud = useFaultyLocalCloud();
// One attempt: a wait that spent attempts would fail the transfer.
const harness = useEngineHarness({ SMSYNC_TRANSFER_MAX_ATTEMPTS: "1", SMSYNC_TRANSFER_STORAGE_FULL_POLL_MS: "100" }, { cloud });

it("tells the app once, while the upload still waits, that the cloud storage is full; the pass ends well when the server's transfer is done", async () => {
  const phone = await harness.newUser();
  const device = await harness.openClient(phone);
  const fileUUID = randomUUID();
  const content = Buffer.from("waits for room in the cloud");
  await device.client.uploadData(fileUUID, content, { cloudFileName: "waits.txt", mimeType: "text/plain" });
  await device.client.commit();
  cloud.fail({ call: "write", kind: "storageFull", times: 6, fileUUID });
  const waits: { event: TransferWaitingEvent; objectWritten: boolean }[] = [];
  device.client.on("transferWaiting", (event) => waits.push({ event, objectWritten: cloud.created.has(`${fileUUID}.v0`) }));

  await device.client.sync();
  expect(waits).toEqual([
    {
      event: { direction: "upload", code: "CLOUD_STORAGE_FULL", operationId: expect.any(String), message: expect.stringContaining("storageFull") },
      objectWritten: false,
    },
  ]);
  expect(device.client.mode).toBe("idle");
  expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID, sha256: sha256Hex(content) }]);
  const operation = await phone.operation(waits[0].event.operationId!);
  expect(operation).toMatchObject({ state: "SUCCEEDED", attempts: 0 });
});

it("tells the app once that a download waits out the cloud's rate limit", async () => {
  const phone = await harness.newUser();
  const writer = await harness.openClient(phone);
  const fileUUID = randomUUID();
  await writer.client.uploadData(fileUUID, Buffer.from("read slowly"), { cloudFileName: "slow.txt", mimeType: "text/plain" });
  await writer.client.commit();
  await writer.client.sync();

  const reader = await harness.openClient(await harness.newDevice(phone.userName));
  const waits: TransferWaitingEvent[] = [];
  reader.client.on("transferWaiting", (event) => waits.push(event));
  cloud.fail({ call: "read", kind: "rateLimited", times: 3, fileUUID });
  await reader.client.sync();
  expect(waits).toEqual([{ direction: "download", code: "CLOUD_RATE_LIMITED", operationId: expect.any(String), message: expect.any(String) }]);
  expect(reader.app.saved.map(({ bytes }) => bytes.toString())).toEqual(["read slowly"]);
});
