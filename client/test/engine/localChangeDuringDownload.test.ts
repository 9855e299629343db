// The app changes or deletes a file while its own pass is downloading the
// server's newer version of it (a pass the engine started by itself, after a
// network failure, say): the download must not be handed over, or it would
// undo the app's change (a deleted file back in the app, while its deletion
// goes up and the index has it deleted). The next plan sees the server's
// version against the app's change: a conflict for resolveConflict. Found by
// the simulator (sim, seed 6002).
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { Conflict, ConflictResolution } from "../../src/engine/index.ts";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { expectNothingPending, syncUntilIdle } from "../support/syncedState.ts";

const harness = useEngineHarness();

const text = { mimeType: "text/plain" };

/** A file on both devices at version 0; then the phone uploads version 1. The laptop's app makes `change` while its pass downloads version 1. */
async function changeDuringDownload(
  change: (laptop: TestDevice, fileUUID: string) => Promise<void>,
  resolution: ConflictResolution,
  { saveDownloads = false } = {},
) {
  const phoneRaw = await harness.newUser();
  const phone = await harness.openClient(phoneRaw);
  const conflicts: Conflict[] = [];
  const laptop: { device?: TestDevice } = {};
  let changed = false;
  laptop.device = await harness.openClient(await harness.newDevice(phoneRaw.userName), {
    saveDownloads,
    resolveConflict: (conflict) => {
      conflicts.push(conflict);
      return resolution;
    },
    engine: {
      async atPersistencePoint(point) {
        if (point !== "download.started" || changed || laptop.device!.app.saved.length === 0) return;
        changed = true;
        await change(laptop.device!, fileUUID);
      },
    },
  });
  const fileUUID = randomUUID();
  await phone.client.uploadData(fileUUID, Buffer.from("v0"), { cloudFileName: "shared.txt", ...text });
  await phone.client.commit();
  await syncUntilIdle(phone.client);
  await syncUntilIdle(laptop.device.client);
  await phone.client.uploadData(fileUUID, Buffer.from("v1 from the phone"), { cloudFileName: "shared.txt", ...text });
  await phone.client.commit();
  await syncUntilIdle(phone.client);

  await syncUntilIdle(laptop.device.client);
  expect(changed).toBe(true);
  await laptop.device.client.commit();
  await syncUntilIdle(laptop.device.client);
  await syncUntilIdle(phone.client);
  await expectNothingPending(laptop.device.store);
  const entry = (await phone.client.fileIndex()).find((file) => file.fileUUID === fileUUID)!;
  return { laptop: laptop.device, phone, conflicts, fileUUID, entry };
}

it("a deletion made while the newer version downloads: not handed over; the conflict kept local deletes it", async () => {
  const { laptop, phone, conflicts, entry } = await changeDuringDownload(
    (device, fileUUID) => device.client.deleteFile(fileUUID),
    "keep-local",
  );
  expect(laptop.app.saved.map((saved) => `${saved.file.version}:${saved.bytes.toString()}`)).toEqual(["0:v0"]);
  expect(conflicts.map((conflict) => [conflict.local, conflict.remote.version])).toEqual([["delete", 1]]);
  expect(entry).toMatchObject({ version: 1, deleted: true });
  expect(phone.app.deleted.flat().map((file) => file.version)).toEqual([1]);
});

it("a deletion made while the newer version downloads, then accept-remote: the app gets the newer version and the file stays", async () => {
  const { laptop, conflicts, entry } = await changeDuringDownload(
    (device, fileUUID) => device.client.deleteFile(fileUUID),
    "accept-remote",
  );
  expect(conflicts.map((conflict) => conflict.local)).toEqual(["delete"]);
  expect(laptop.app.saved.map((saved) => `${saved.file.version}:${saved.bytes.toString()}`)).toEqual([
    "0:v0",
    "1:v1 from the phone",
  ]);
  expect(entry).toMatchObject({ version: 1, deleted: false });
});

it("a write made while the newer version downloads: not overwritten; the conflict kept local uploads the app's bytes", async () => {
  const { laptop, phone, conflicts, entry } = await changeDuringDownload(
    (device, fileUUID) =>
      device.client.uploadData(fileUUID, Buffer.from("the laptop's edit"), { cloudFileName: "shared.txt", ...text }),
    "keep-local",
  );
  expect(laptop.app.saved.map((saved) => saved.bytes.toString())).toEqual(["v0"]);
  expect(conflicts.map((conflict) => [conflict.local, conflict.remote.version])).toEqual([["upload", 1]]);
  expect(entry).toMatchObject({ version: 2, deleted: false });
  expect(phone.app.saved.at(-1)?.bytes.toString()).toBe("the laptop's edit");
});

it("with saveDownloads: a deletion made while the group downloads is not handed over in the group", async () => {
  const { laptop, conflicts, entry } = await changeDuringDownload(
    (device, fileUUID) => device.client.deleteFile(fileUUID),
    "keep-local",
    { saveDownloads: true },
  );
  expect(laptop.app.groups).toEqual([[laptop.app.saved[0]!.file.fileUUID]]);
  expect(laptop.app.saved.map((saved) => `${saved.file.version}:${saved.bytes.toString()}`)).toEqual(["0:v0"]);
  expect(conflicts.map((conflict) => [conflict.local, conflict.remote.version])).toEqual([["delete", 1]]);
  expect(entry).toMatchObject({ version: 1, deleted: true });
});
