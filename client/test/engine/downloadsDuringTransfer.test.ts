// Small files come down while the inbound transfer still stages the rest:
// each FILES_TRANSFERRED event names files that can be downloaded at once.
// The server's cloud holds the transfer before its last chunk; the device
// has downloaded, handed over and acknowledged the chunks before it by then
// (small files in a batch, a large one by GET), and gets the rest once the
// transfer goes on.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LocalDirectoryStorage } from "@smsync/api";
import { FaultyCloudStorage } from "@smsync/testkit";
import { startEngineHarness, type EngineHarness } from "../support/engineHarness.ts";
import { expectNothingPending } from "../support/syncedState.ts";

let harness: EngineHarness;
let cloud: FaultyCloudStorage;
let cloudRoot: string;

beforeAll(async () => {
  cloudRoot = mkdtempSync(path.join(tmpdir(), "smsync-engine-cloud-"));
  cloud = new FaultyCloudStorage(new LocalDirectoryStorage(cloudRoot));
  harness = await startEngineHarness({}, { cloud });
});
afterAll(async () => {
  await harness?.close();
  rmSync(cloudRoot, { recursive: true, force: true });
});

/** Resolves once `ready()` holds, checking every 20 ms; fails after `timeoutMs`. */
async function until(ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it.each([false, true])(
  "hands over the small files already staged while the transfer is held (saveDownloads: %s)",
  { timeout: 120_000 },
  async (saveDownloads) => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    // The transfer stages a first chunk of one file, then chunks of up to 64: 1 + 64 + 5.
    const files = Array.from({ length: 70 }, (_, n) => ({ fileUUID: randomUUID(), bytes: Buffer.from(`note ${n}`) }));
    for (const [n, file] of files.entries()) {
      await a.client.uploadData(file.fileUUID, file.bytes, { cloudFileName: `note ${n}.txt`, mimeType: "text/plain" });
    }
    await a.client.commit();
    await a.client.sync();

    const b = await harness.openClient(await harness.newDevice(phone.userName), { saveDownloads });
    const held = cloud.holdRead(66); // the first file of the third chunk
    const syncing = b.client.sync();
    try {
      await held.reached;
      // The first two chunks are staged; the transfer waits on the cloud.
      await until(() => b.app.saved.length >= 65, "the staged files to be handed over");
      expect(b.app.saved).toHaveLength(65);
      expect((await b.client.pendingWork()).downloads).toBe(5);
    } finally {
      held.release();
    }
    await syncing;
    expect(b.app.saved.map((saved) => saved.bytes.toString()).sort()).toEqual(
      files.map((file) => file.bytes.toString()).sort(),
    );
    await expectNothingPending(b.store);
  },
);

it("fetches and hands over a large file already staged while the transfer is held", { timeout: 120_000 }, async () => {
  const phone = await harness.newUser();
  const a = await harness.openClient(phone);
  // Over batchMaxFileBytes (1 MiB): each comes down by GET. Staged as 1, then 2.
  const files = Array.from({ length: 3 }, () => ({ fileUUID: randomUUID(), bytes: randomBytes(1200 * 1024) }));
  for (const [n, file] of files.entries()) {
    await a.client.uploadData(file.fileUUID, file.bytes, { cloudFileName: `large ${n}.bin`, mimeType: "text/plain" });
  }
  await a.client.commit();
  await a.client.sync();

  const b = await harness.openClient(await harness.newDevice(phone.userName));
  const held = cloud.holdRead(2);
  const syncing = b.client.sync();
  try {
    await held.reached;
    await until(() => b.app.saved.length >= 1, "the staged large file to be handed over");
    expect(b.app.saved).toHaveLength(1);
    expect((await b.client.pendingWork()).downloads).toBe(2);
  } finally {
    held.release();
  }
  await syncing;
  const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
  expect(b.app.saved.map((saved) => sha(saved.bytes)).sort()).toEqual(files.map((file) => sha(file.bytes)).sort());
  await expectNothingPending(b.store);
});
