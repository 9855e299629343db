// The server killed in the middle of a batch's upload and started again on
// the same port, data directory and database, while a device syncs against
// it (the real server as a separate process, support/serverRestart.ts):
// killed with SIGKILL while the device's tus upload is in flight, and killed
// by its own crash points (api/src/faults/crashPoints.ts) while it runs the
// committed outbound transfer. The device's engine waits it out
// (networkNotConnected) and finishes its pass: each change on the server
// once, one cloud object per file version, no operation unfinished, the lock
// free, the device's queues empty. (Downloads: serverRestartDownloads.test.ts.)
import { describe, expect, it } from "vitest";
import type { CrashPoint } from "@smsync/api/faults";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import {
  baseEnv,
  bigSize,
  expectServerHolds,
  killServerOnFirstBytes,
  openDevice,
  operationCount,
  queueBatch,
  restartAfterExit,
  server,
  useServerProcess,
} from "../support/serverRestart.ts";

useServerProcess();

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
    expect((await device.store.list("files")).map(({ key }) => key).sort()).toEqual(
      files.map((file) => file.fileUUID).sort(),
    );
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
