// A new version of a large file comes down as the blocks the device lacks
// (docs/protocol.md, "Changed files as deltas"): the engine asks the new
// version's block hashes, the app's heldContent gives the version the device
// holds, the blocks that match are copied from it and the others fetched with
// Range. Counted at a proxy between the downloading device and the server;
// the saved file is the new version byte for byte whatever the held bytes are.
import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startCuttingProxy, type CuttingProxy } from "@smsync/testkit";
import type { LocalFile } from "../../src/queues/records.ts";
import { maxFetchedRuns } from "../../src/transfers/deltaDownloads.ts";
import { useEngineHarness, type AppRecord } from "../support/engineHarness.ts";
import { syncUntilIdle } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const harness = useEngineHarness();
const MiB = 1024 * 1024;
const file = { cloudFileName: "video.bin", mimeType: "application/octet-stream" };

/** What the app saved of this version of the file. */
function savedBytes(held: LocalFile, app: AppRecord): Buffer | null {
  return (
    app.saved.find((entry) => entry.file.fileUUID === held.fileUUID && entry.file.version === held.version)?.bytes ??
    null
  );
}

/** The downloads the proxy saw (GET /downloads/...). */
function downloadRequests(proxy: CuttingProxy): string[] {
  return proxy.stats.requests.filter((line) => / \/downloads\//.test(line));
}

/**
 * A phone commits version 0 of an 8 MiB file, a laptop (through the proxy,
 * its heldContent answering `held`) downloads it whole; then the phone
 * commits version 1, 4 KiB changed at 5 MiB. The proxy's counters are reset
 * before the laptop's next sync.
 */
async function changedOnPhone(held: (file: LocalFile, app: AppRecord) => Uint8Array | null, size = 8 * MiB) {
  const proxy = await startCuttingProxy(new URL(harness.server.url).port);
  const user = await harness.newUser();
  const phone = await harness.openClient(user);
  const laptop = await harness.openClient(await harness.newDevice(user.userName), {
    serverUrl: proxy.url,
    heldContent: held,
  });
  const fileUUID = randomUUID();
  const v0 = randomBytes(size);
  await phone.client.uploadData(fileUUID, v0, file);
  await phone.client.commit();
  await syncUntilIdle(phone.client);
  await syncUntilIdle(laptop.client);
  expect(proxy.stats.bytesDown).toBeGreaterThan(v0.length);

  const v1 = Buffer.from(v0);
  randomBytes(4096).copy(v1, 5 * MiB + 1000);
  await phone.client.uploadData(fileUUID, v1, file);
  await phone.client.commit();
  await syncUntilIdle(phone.client);
  proxy.resetStats();
  return { proxy, laptop, fileUUID, v0, v1 };
}

function expectSaved(app: AppRecord, fileUUID: string, v1: Buffer) {
  const saved = app.saved.filter((entry) => entry.file.fileUUID === fileUUID).at(-1)!;
  expect(saved.file.version).toBe(1);
  expect(sha256Hex(saved.bytes)).toBe(sha256Hex(v1));
}

describe("a new version of a large file", () => {
  it("comes down as the blocks that differ from the held version", async () => {
    const { proxy, laptop, fileUUID, v1 } = await changedOnPhone(savedBytes);
    try {
      await syncUntilIdle(laptop.client);
      expectSaved(laptop.app, fileUUID, v1);
      expect(proxy.stats.requests.some((line) => line.includes("/upload-batches/blocks"))).toBe(true);
      expect(downloadRequests(proxy)).toHaveLength(1); // one run of changed blocks
      expect(proxy.stats.bytesDown).toBeLessThan(1 * MiB);
    } finally {
      await proxy.close();
    }
  });

  it("fetches the blocks where the held bytes differ too, and saves the exact new version", async () => {
    // Held bytes damaged in two other places: those blocks come down as well.
    const damaged = (held: LocalFile, app: AppRecord) => {
      const bytes = Buffer.from(savedBytes(held, app)!);
      bytes.fill(0, 100, 200);
      bytes.fill(0, 7 * MiB, 7 * MiB + 10);
      return bytes;
    };
    const { proxy, laptop, fileUUID, v1 } = await changedOnPhone(damaged);
    try {
      await syncUntilIdle(laptop.client);
      expectSaved(laptop.app, fileUUID, v1);
      expect(downloadRequests(proxy)).toHaveLength(3);
      expect(proxy.stats.bytesDown).toBeLessThan(1 * MiB);
    } finally {
      await proxy.close();
    }
  });

  it("comes down whole when the held bytes are of something else, or shorter", async () => {
    const { proxy, laptop, fileUUID, v1 } = await changedOnPhone(() => randomBytes(3 * MiB));
    try {
      await syncUntilIdle(laptop.client);
      expectSaved(laptop.app, fileUUID, v1);
      expect(proxy.stats.bytesDown).toBeGreaterThan(8 * MiB);
    } finally {
      await proxy.close();
    }
  });

  it("resumes from what was built when a range is cut, without fetching the held blocks", async () => {
    const { proxy, laptop, fileUUID, v1 } = await changedOnPhone(savedBytes);
    try {
      const cut = proxy.cutAfter({ direction: "down", afterBytes: 1000, match: /^GET \/downloads\// });
      await syncUntilIdle(laptop.client);
      await cut;
      expectSaved(laptop.app, fileUUID, v1);
      // The cut range, then one request for the rest of the file from where the partial file ended (past 5 MiB).
      expect(downloadRequests(proxy)).toHaveLength(2);
      expect(proxy.stats.bytesDown).toBeGreaterThan(2 * MiB);
      expect(proxy.stats.bytesDown).toBeLessThan(4 * MiB);
    } finally {
      await proxy.close();
    }
  });

  it("past the most runs a download may fetch, takes the rest in one request from where the runs stopped", async () => {
    // 24 MiB, every other 128 KiB block of the held bytes damaged: 96 runs to fetch, more than allowed.
    const everyOtherBlock = (held: LocalFile, app: AppRecord) => {
      const bytes = Buffer.from(savedBytes(held, app)!);
      for (let offset = 0; offset < bytes.length; offset += 256 * 1024) bytes.fill(0, offset, offset + 10);
      return bytes;
    };
    const { proxy, laptop, fileUUID, v1 } = await changedOnPhone(everyOtherBlock, 24 * MiB);
    try {
      await syncUntilIdle(laptop.client);
      expectSaved(laptop.app, fileUUID, v1);
      expect(downloadRequests(proxy)).toHaveLength(maxFetchedRuns + 1);
      // The runs built about two thirds of the file (held blocks and fetched ones); the rest came whole.
      expect(proxy.stats.bytesDown).toBeGreaterThan(16 * MiB);
      expect(proxy.stats.bytesDown).toBeLessThan(20 * MiB);
    } finally {
      await proxy.close();
    }
  });

  it("comes down whole without a heldContent callback", async () => {
    const { proxy, laptop, fileUUID, v1 } = await changedOnPhone(() => null);
    try {
      await syncUntilIdle(laptop.client);
      expectSaved(laptop.app, fileUUID, v1);
      expect(proxy.stats.requests.some((line) => line.includes("/upload-batches/blocks"))).toBe(false);
      expect(proxy.stats.bytesDown).toBeGreaterThan(8 * MiB);
    } finally {
      await proxy.close();
    }
  });
});
