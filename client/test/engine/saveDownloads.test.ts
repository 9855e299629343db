// The app's saveDownloads callback against a real server: the small files of
// one batch download are handed over in one call and acknowledged in one
// store commit (large files still go to saveDownload); a batch cut in the
// middle of its answer hands over and acknowledges exactly the files that
// arrived, and the next pass brings the others, none twice.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startCuttingProxy } from "@smsync/testkit";
import type { StoreChange } from "../../src/store/ClientStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";
import { sha256Hex } from "../transfers/helpers.ts";

const harness = useEngineHarness();

/** A MemoryStore that records the downloads each commit acknowledges (takes out of beingDownloaded). */
class AcknowledgmentRecorder extends MemoryStore {
  readonly acknowledged: string[][] = [];

  override commit(changes: StoreChange[]): Promise<void> {
    const done = changes.flatMap((change) =>
      change.op === "delete" && change.collection === "beingDownloaded" ? [change.key] : [],
    );
    if (done.length > 0) this.acknowledged.push(done.sort());
    return super.commit(changes);
  }
}

const binary = { mimeType: "application/octet-stream" };

/** A user whose first device uploaded these contents (one file each); returns the user and the files. */
async function uploaded(contents: Buffer[]) {
  const user = await harness.newUser();
  const seeder = await harness.openClient(user);
  const files = contents.map((content, n) => ({ fileUUID: randomUUID(), content, cloudFileName: `f${n}.bin` }));
  for (const file of files) await seeder.client.uploadData(file.fileUUID, file.content, { ...file, ...binary });
  await seeder.client.commit();
  await syncUntilIdle(seeder.client);
  return { user, files };
}

/** Each file handed to the app exactly once, with its bytes. */
function expectSavedOnce(device: TestDevice, files: { fileUUID: string; content: Buffer }[]) {
  expect(device.app.saved.map((saved) => saved.file.fileUUID).sort()).toEqual(
    files.map((file) => file.fileUUID).sort(),
  );
  for (const file of files) {
    const saved = device.app.saved.find((candidate) => candidate.file.fileUUID === file.fileUUID)!;
    expect(sha256Hex(saved.bytes)).toBe(sha256Hex(file.content));
  }
}

describe("saveDownloads", () => {
  it("hands the small files over a group at a time (as the transfer stages them), each acknowledged in one commit; a large file goes to saveDownload", async () => {
    const small = Array.from({ length: 40 }, (_, n) => randomBytes(100 + n * 50));
    const large = randomBytes(1200 * 1024); // over serverInfo's batchMaxFileBytes (1 MiB): by GET
    const { user, files } = await uploaded([...small, large]);
    const store = new AcknowledgmentRecorder();
    const device = await harness.openClient(await harness.newDevice(user.userName), { store, saveDownloads: true });
    await syncUntilIdle(device.client);

    const smallUUIDs = files.slice(0, small.length).map((file) => file.fileUUID);
    const largeUUID = files.at(-1)!.fileUUID;
    const groups = (device.app.groups ?? []).map((group) => [...group].sort());
    // As many groups as the transfer's chunks that held small files at most (its first chunk holds one file).
    expect(groups.length).toBeLessThan(small.length);
    expect(groups.flat().sort()).toEqual(smallUUIDs.sort());
    // Each group, and the large file on its own, in one commit each (the large one's among the groups', when staged).
    const commits = (lists: string[][]) => lists.map((list) => list.join()).sort();
    expect(commits(store.acknowledged)).toEqual(commits([...groups, [largeUUID]]));
    expectSavedOnce(device, files);
    await expectNothingPending(store);
  });

  it("an app that takes the bytes of a batch's files: no staging file is written, and none is left", async () => {
    const { user, files } = await uploaded(Array.from({ length: 30 }, (_, n) => randomBytes(200 + n * 100)));
    const device = await harness.openClient(await harness.newDevice(user.userName), {
      saveDownloads: true,
      takeBytes: true,
    });
    await syncUntilIdle(device.client);

    expect(device.app.saved.every((saved) => saved.file.bytes !== undefined)).toBe(true);
    expectSavedOnce(device, files);
    expect(existsSync(path.join(device.workDir, "downloads"))).toBe(false);
    await expectNothingPending(device.store);
  });

  it("an app that reads the path of a batch's file gets it written then; the file is removed once acknowledged", async () => {
    const { user, files } = await uploaded([randomBytes(3000), randomBytes(5000)]);
    const device = await harness.openClient(await harness.newDevice(user.userName), { saveDownloads: true });
    await syncUntilIdle(device.client);

    expectSavedOnce(device, files);
    expect(readdirSync(path.join(device.workDir, "downloads"))).toEqual([]);
  });

  it("a batch cut in the middle of its answer: the files that arrived are handed over and acknowledged, exactly those; the next pass brings the others", async () => {
    const size = 16 * 1024;
    const { user, files } = await uploaded(Array.from({ length: 12 }, () => randomBytes(size)));
    const proxy = await startCuttingProxy(new URL(harness.server.url).port);
    try {
      const store = new AcknowledgmentRecorder();
      const device = await harness.openClient(await harness.newDevice(user.userName), {
        store,
        saveDownloads: true,
        serverUrl: proxy.url,
      });
      // About five files' bytes of the answer pass, then its connection is cut (no retry within the pass here).
      const cut = proxy.cutAfter({
        direction: "down",
        afterBytes: Math.round(size * 5.5),
        match: /^POST \/download-batches /,
      });
      await syncUntilIdle(device.client);
      await cut;

      // Each group handed over (the part of the cut one that arrived among them) is acknowledged in one commit.
      const groups = (device.app.groups ?? []).map((group) => [...group].sort());
      expect(groups.length).toBeGreaterThanOrEqual(2);
      expect(store.acknowledged).toEqual(groups);
      expectSavedOnce(device, files);
      await expectNothingPending(store);
    } finally {
      await proxy.close();
    }
  });
});
