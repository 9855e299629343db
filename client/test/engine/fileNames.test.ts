// Cloud file names through the SDK, against a real server: the client
// applies the server's rules when a file is queued (so misuse throws a
// ClientUsageError at once, never a nonRecoverableError later), keeps names
// in the form the server stores, and renames reach other devices.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { LocalFile } from "../../src/queues/records.ts";
import type { ClientStore } from "../../src/store/ClientStore.ts";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";

const harness = useEngineHarness();

const text = { mimeType: "text/plain" };

async function record(store: ClientStore, fileUUID: string): Promise<LocalFile | undefined> {
  return store.get("files", fileUUID);
}

async function syncIdle(device: TestDevice): Promise<void> {
  await device.client.commit();
  await device.client.sync();
  expect(device.client.mode).toBe("idle");
}

/** The call throws a ClientUsageError, queues nothing and leaves the engine idle. */
async function expectRefusedAtOnce(device: TestDevice, upload: () => Promise<unknown>, code: string): Promise<void> {
  const before = await device.store.list("uploadsBeingPrepared");
  await expect(upload()).rejects.toMatchObject({ name: "ClientUsageError", code });
  expect(await device.store.list("uploadsBeingPrepared")).toEqual(before);
  expect(device.client.mode).toBe("idle");
}

describe("names compared as the server compares them", () => {
  it("keeps the uploader's record in NFC, and refuses the same name in NFC for another file at once", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const cafe = randomUUID();
    await a.client.uploadData(cafe, Buffer.from("nfd"), { cloudFileName: "cafe\u0301.txt", ...text });
    await syncIdle(a);
    expect((await record(a.store, cafe))?.cloudFileName).toBe("caf\u00e9.txt");
    expect((await a.client.fileIndex()).find((entry) => entry.fileUUID === cafe)?.cloudFileName).toBe("caf\u00e9.txt");

    await expectRefusedAtOnce(
      a,
      () => a.client.uploadData(randomUUID(), Buffer.from("nfc"), { cloudFileName: "caf\u00e9.txt", ...text }),
      "CLOUD_NAME_TAKEN",
    );
    // The engine goes on: a sync is not in an error mode, and the file can still be updated under its name.
    await a.client.uploadData(cafe, Buffer.from("nfd, v1"), { cloudFileName: "cafe\u0301.txt", ...text });
    await syncIdle(a);
    expect(await record(a.store, cafe)).toMatchObject({ version: 1, cloudFileName: "caf\u00e9.txt" });
  });

  it("refuses a case twin at once, on the device that made the name and on another one", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const b = await harness.openClient(await harness.newDevice(phone.userName));
    await a.client.uploadData(randomUUID(), Buffer.from("R"), { cloudFileName: "Report.txt", ...text });
    await syncIdle(a);
    await expectRefusedAtOnce(
      a,
      () => a.client.uploadData(randomUUID(), Buffer.from("r"), { cloudFileName: "report.txt", ...text }),
      "CLOUD_NAME_TAKEN",
    );
    await b.client.sync();
    await expectRefusedAtOnce(
      b,
      () => b.client.uploadData(randomUUID(), Buffer.from("r"), { cloudFileName: "REPORT.TXT", ...text }),
      "CLOUD_NAME_TAKEN",
    );
  });

  it("refuses a control character at once with BAD_INPUT", async () => {
    const a = await harness.openClient(await harness.newUser());
    await expectRefusedAtOnce(
      a,
      () => a.client.uploadData(randomUUID(), Buffer.from("x"), { cloudFileName: "line\u0085break.txt", ...text }),
      "BAD_INPUT",
    );
  });

  it("gives a deleted file's name to another file once the deletion is committed, not within its batch", async () => {
    const a = await harness.openClient(await harness.newUser());
    const old = randomUUID();
    await a.client.uploadData(old, Buffer.from("old"), { cloudFileName: "old.txt", ...text });
    await syncIdle(a);
    await a.client.deleteFile(old);
    await expectRefusedAtOnce(
      a,
      () => a.client.uploadData(randomUUID(), Buffer.from("new"), { cloudFileName: "old.txt", ...text }),
      "CLOUD_NAME_TAKEN",
    );
    await a.client.commit();
    const successor = randomUUID();
    await a.client.uploadData(successor, Buffer.from("new"), { cloudFileName: "old.txt", ...text });
    await syncIdle(a);
    const live = (await a.client.fileIndex()).filter((entry) => !entry.deleted);
    expect(live.map((entry) => [entry.fileUUID, entry.cloudFileName])).toEqual([[successor, "old.txt"]]);
  });
});

describe("renames", () => {
  it("a new version under a new name reaches another device under the new name, and frees the old one", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const b = await harness.openClient(await harness.newDevice(phone.userName));
    const fileUUID = randomUUID();
    await a.client.uploadData(fileUUID, Buffer.from("first draft"), { cloudFileName: "draft.txt", ...text });
    await syncIdle(a);
    await b.client.sync();
    expect(await record(b.store, fileUUID)).toMatchObject({ version: 0, cloudFileName: "draft.txt" });

    await a.client.uploadData(fileUUID, Buffer.from("final text"), { cloudFileName: "final.txt", ...text });
    await syncIdle(a);
    await b.client.sync();
    expect(b.client.mode).toBe("idle");
    const saved = b.app.saved.at(-1)!;
    expect(saved.file).toMatchObject({ fileUUID, version: 1, cloudFileName: "final.txt" });
    expect(saved.bytes.toString()).toBe("final text");
    expect(await record(b.store, fileUUID)).toMatchObject({ version: 1, cloudFileName: "final.txt" });
    expect((await b.client.fileIndex()).map((entry) => [entry.fileUUID, entry.cloudFileName, entry.version])).toEqual([
      [fileUUID, "final.txt", 1],
    ]);

    // The old name is free again, on the other device too.
    const newcomer = randomUUID();
    await b.client.uploadData(newcomer, Buffer.from("another draft"), { cloudFileName: "draft.txt", ...text });
    await syncIdle(b);
    expect((await b.client.fileIndex()).find((entry) => entry.fileUUID === newcomer)?.cloudFileName).toBe("draft.txt");
  });
});
