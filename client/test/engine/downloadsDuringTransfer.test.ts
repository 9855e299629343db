// Small files come down while the inbound transfer still stages the rest:
// each FILES_TRANSFERRED event names files that can be downloaded at once.
// The server's cloud holds the transfer before its last chunk; the device
// has downloaded, handed over and acknowledged the chunks before it by then
// (small files in a batch, a large one by GET), and gets the rest once the
// transfer goes on.
import { randomBytes, randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { useEngineHarness, type OpenClientOptions } from "../support/engineHarness.ts";
import { useFaultyLocalCloud } from "../support/faultyLocalCloud.ts";
import { expectNothingPending } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const cloud = useFaultyLocalCloud();
const harness = useEngineHarness({}, { cloud });

/** Resolves once `ready()` holds, checking every 20 ms; fails after `timeoutMs`. */
async function until(ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * One device uploads `contents`; another syncs while the server's cloud
 * holds the inbound transfer's read number `heldRead`: by then the device
 * has been handed `savedWhileHeld` files, and after it every file, once.
 */
async function downloadWhileHeld(
  contents: Buffer[],
  heldRead: number,
  savedWhileHeld: number,
  options: OpenClientOptions = {},
): Promise<void> {
  const phone = await harness.newUser();
  const a = await harness.openClient(phone);
  for (const [n, bytes] of contents.entries()) {
    await a.client.uploadData(randomUUID(), bytes, { cloudFileName: `file ${n}.bin`, mimeType: "text/plain" });
  }
  await a.client.commit();
  await a.client.sync();

  const b = await harness.openClient(await harness.newDevice(phone.userName), options);
  const held = cloud.holdRead(heldRead);
  const syncing = b.client.sync();
  try {
    await held.reached;
    await until(() => b.app.saved.length >= savedWhileHeld, "the staged files to be handed over");
    expect(b.app.saved).toHaveLength(savedWhileHeld);
    expect((await b.client.pendingWork()).downloads).toBe(contents.length - savedWhileHeld);
  } finally {
    held.release();
  }
  await syncing;
  expect(b.app.saved.map((saved) => sha256Hex(saved.bytes)).sort()).toEqual(contents.map(sha256Hex).sort());
  await expectNothingPending(b.store);
}

it.each([false, true])(
  "hands over the small files already staged while the transfer is held (saveDownloads: %s)",
  { timeout: 120_000 },
  async (saveDownloads) => {
    // The transfer stages a first chunk of one file, then chunks of up to 64: 1 + 64 + 5. Held at the third's first.
    const notes = Array.from({ length: 70 }, (_, n) => Buffer.from(`note ${n}`));
    await downloadWhileHeld(notes, 66, 65, { saveDownloads });
  },
);

it("fetches and hands over a large file already staged while the transfer is held", { timeout: 120_000 }, async () => {
  // Over batchMaxFileBytes (1 MiB): each comes down by GET. Staged as 1, then 2; held at the second chunk.
  await downloadWhileHeld(
    Array.from({ length: 3 }, () => randomBytes(1200 * 1024)),
    2,
    1,
  );
});
