// A change of a large file goes up as a delta of its live version
// (docs/protocol.md, "Changed files as deltas"): the engine asks the server
// for the live version's block hashes, and sends the blocks that changed on
// the batch path, not the whole file over tus. Counted at a proxy between the
// device and the server; the other device gets the new version byte for byte.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startCuttingProxy, type CuttingProxy } from "@smsync/testkit";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const harness = useEngineHarness();
const MiB = 1024 * 1024;
const file = { cloudFileName: "video.bin", mimeType: "application/octet-stream" };

/** The requests' paths the proxy saw, without the host. */
function pathsOf(requests: string[]): string[] {
  return requests.map((line) =>
    line
      .split(" ")[1]!
      .replace(/^https?:\/\/[^/]+/, "")
      .replace(/\?.*/, ""),
  );
}

/** A user whose phone (through the proxy) committed version 0 of a new file; the proxy's counters reset after. */
async function committedFile(proxy: CuttingProxy, v0: Buffer) {
  const user = await harness.newUser();
  const phone = await harness.openClient(user, { serverUrl: proxy.url });
  const fileUUID = randomUUID();
  await phone.client.uploadData(fileUUID, v0, file);
  await phone.client.commit();
  await syncUntilIdle(phone.client);
  expect(proxy.stats.bytesUp).toBeGreaterThan(v0.length);
  proxy.resetStats();
  return { user, phone, fileUUID };
}

/** The phone's next version of the file, committed and synced. */
async function changed(phone: TestDevice, fileUUID: string, v1: Buffer) {
  await phone.client.uploadData(fileUUID, v1, file);
  await phone.client.commit();
  await syncUntilIdle(phone.client);
  await expectNothingPending(phone.store);
}

describe("a change of a large file", () => {
  it("sends the changed blocks, not the whole file, and the other device gets the new version", async () => {
    const proxy = await startCuttingProxy(new URL(harness.server.url).port);
    try {
      const v0 = randomBytes(8 * MiB);
      const { user, phone, fileUUID } = await committedFile(proxy, v0);
      const v1 = Buffer.from(v0);
      randomBytes(4096).copy(v1, 5 * MiB + 1000); // 4 KiB inside one 128 KiB block
      await changed(phone, fileUUID, v1);
      const paths = pathsOf(proxy.stats.requests);
      expect(paths).toContain("/upload-batches/blocks");
      expect(paths).toContain("/upload-batches");
      expect(paths.filter((path) => path.startsWith("/uploads"))).toEqual([]);
      expect(proxy.stats.bytesUp).toBeLessThan(1 * MiB);

      const laptop = await harness.openClient(await harness.newDevice(user.userName));
      await syncUntilIdle(laptop.client);
      const saved = laptop.app.saved.find((entry) => entry.file.fileUUID === fileUUID)!;
      expect(saved.file.version).toBe(1);
      expect(sha256Hex(saved.bytes)).toBe(sha256Hex(v1));
    } finally {
      await proxy.close();
    }
  });

  it("goes whole over tus when more than half of it changed", async () => {
    const proxy = await startCuttingProxy(new URL(harness.server.url).port);
    try {
      const v0 = randomBytes(2 * MiB);
      const { user, phone, fileUUID } = await committedFile(proxy, v0);
      const v1 = Buffer.concat([v0.subarray(0, 512 * 1024), randomBytes(1536 * 1024)]);
      await changed(phone, fileUUID, v1);
      const paths = pathsOf(proxy.stats.requests);
      expect(paths).toContain("/upload-batches/blocks");
      expect(paths.filter((path) => path.startsWith("/uploads")).length).toBeGreaterThan(0);
      expect(paths).not.toContain("/upload-batches");
      const [indexed] = (await user.fileIndex()).files;
      expect(indexed).toMatchObject({ fileUUID, version: 1, sha256: sha256Hex(v1) });
    } finally {
      await proxy.close();
    }
  });
});
