// The server killed while a device downloads and started again on the same
// port, data directory and database (the real server as a separate process,
// support/serverRestart.ts): killed with SIGKILL in the middle of the
// download body, and by its crash point while it stages the inbound transfer.
// The device's engine waits it out (networkNotConnected) and finishes its
// pass: each file handed to the app once with its bytes, one inbound
// transfer, nothing unfinished on the server, the device's queues empty.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";
import {
  baseEnv,
  bigSize,
  binary,
  expectServerHolds,
  killServerOnFirstBytes,
  openDevice,
  operationCount,
  restartAfterExit,
  server,
  useServerProcess,
  writeFile,
  type ExpectedFile,
} from "../support/serverRestart.ts";
import type { TestDevice } from "../support/engineHarness.ts";

useServerProcess();

describe("the server killed and restarted while a device downloads", () => {
  /** A user whose first device has uploaded a big and a small file; a second device to download them. */
  async function filesToDownload() {
    const user = await server.newUser();
    const files: [big: ExpectedFile, small: ExpectedFile] = [
      { fileUUID: randomUUID(), version: 0, content: randomBytes(bigSize) },
      { fileUUID: randomUUID(), version: 0, content: randomBytes(4096) },
    ];
    const seeder = await openDevice(user);
    for (const file of files)
      await seeder.client.uploadFile(file.fileUUID, writeFile(file.content), {
        cloudFileName: `${file.fileUUID}.bin`,
        ...binary,
      });
    await seeder.client.commit();
    await syncUntilIdle(seeder.client);
    const second = await server.newDevice(user.userName);
    return { user, files, device: await openDevice(second) };
  }

  function expectDeliveredOnce(device: TestDevice, files: ExpectedFile[]) {
    const delivered = device.app.saved
      .map(({ file, bytes }) => `${file.fileUUID}.${file.version}:${sha256Hex(bytes)}`)
      .sort();
    expect(delivered).toEqual(
      files.map((file) => `${file.fileUUID}.${file.version}:${sha256Hex(file.content)}`).sort(),
    );
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
