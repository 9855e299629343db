// Small files come down while the inbound transfer still stages the rest:
// each FILES_TRANSFERRED event names files that can be downloaded at once.
// The server's cloud holds the transfer before its last chunk; the device
// has downloaded, handed over and acknowledged the chunks before it by then
// (small files in a batch, a large one by GET), and gets the rest once the
// transfer goes on. A file gone before its early download (its staged copy
// expired) is planned again with the rest.
import { randomBytes, randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { sweepStaging } from "@smsync/api";
import { useEngineHarness, type OpenClientOptions } from "../support/engineHarness.ts";
import { useFaultyLocalCloud } from "../support/faultyLocalCloud.ts";
import { expectNothingPending } from "../support/syncedState.ts";
import { until } from "../support/until.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const cloud = useFaultyLocalCloud();
const harness = useEngineHarness({}, { cloud });

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

it(
  "plans the rest again when a file an event named is gone before its download (expired): each file is handed over once",
  { timeout: 120_000 },
  async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    // Two files: the transfer's first chunk holds the first, its second the other (no file of a chunk in flight is
    // on disk without its row when the sweeper, run as if two days had passed, takes every file no row names).
    const contents = Array.from({ length: 2 }, (_, n) => Buffer.from(`note ${n}`));
    for (const [n, bytes] of contents.entries()) {
      await a.client.uploadData(randomUUID(), bytes, { cloudFileName: `file ${n}.bin`, mimeType: "text/plain" });
    }
    await a.client.commit();
    await a.client.sync();

    const b = await harness.openClient(await harness.newDevice(phone.userName));
    // The transfer stages its first chunk, then is held; the device's download of that file waits at `gate`
    // while the server's sweeper removes every staged copy, as if they had expired.
    const held = cloud.holdRead(2);
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let reachGate!: () => void;
    const gateReached = new Promise<void>((resolve) => (reachGate = resolve));
    const realFetch = globalThis.fetch;
    let gated = false;
    globalThis.fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!gated && url.endsWith("/download-batches")) {
        gated = true;
        reachGate();
        await gate;
      }
      return realFetch(input, init);
    };
    try {
      const syncing = b.client.sync();
      await held.reached;
      await gateReached;
      // Earlier tests' staged copies go too (one server for the file).
      const swept = await sweepStaging(harness.server.app.services, new Date(Date.now() + 2 * 24 * 3600 * 1000));
      expect(swept.inbound).toBeGreaterThanOrEqual(1);
      openGate();
      held.release();
      await syncing;
    } finally {
      openGate();
      held.release();
      globalThis.fetch = realFetch;
    }
    expect(b.app.saved.map((saved) => sha256Hex(saved.bytes)).sort()).toEqual(contents.map(sha256Hex).sort());
    await expectNothingPending(b.store);
  },
);
