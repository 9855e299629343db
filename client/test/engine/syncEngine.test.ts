// The sync engine through SmsyncClient, against a real server: uploads in
// batches, downloads to another device of the user, deletions, the lock
// held by another device, misuse, and a relaunch over the same SQLite store.
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchProgressEvent } from "../../src/engine/batchProgress.ts";
import { ClientUsageError } from "../../src/queues/ClientUsageError.ts";
import { SqliteStore } from "../../src/store/SqliteStore.ts";
import { startCuttingProxy } from "@smsync/testkit";
import { useEngineHarness } from "../support/engineHarness.ts";
import { untilLockCallWaits } from "../support/lockWaits.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";
import { sortedUUIDs } from "../support/uuids.ts";
import { indexEntry } from "../support/serverReads.ts";
import { expectNothingPending } from "../support/syncedState.ts";

const harness = useEngineHarness();

const text = { mimeType: "text/plain" };

/** The batch's progress only moved forward, and ended with every file and byte done. */
function expectBatchProgressed(
  events: BatchProgressEvent[],
  expected: Pick<BatchProgressEvent, "direction" | "batch" | "filesTotal" | "bytesTotal">,
) {
  expect(events.length).toBeGreaterThan(1);
  let previous: BatchProgressEvent | undefined;
  for (const event of events) {
    expect(event).toMatchObject(expected);
    if (previous) expect(event.bytesDone).toBeGreaterThanOrEqual(previous.bytesDone);
    previous = event;
  }
  expect(events.at(-1)).toMatchObject({ filesDone: expected.filesTotal, bytesDone: expected.bytesTotal });
}

describe("uploads and downloads", () => {
  it("uploads two files, device B downloads them once, and a deletion reaches B", async () => {
    const phone = await harness.newUser();
    const laptopRaw = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    const b = await harness.openClient(laptopRaw);
    const first = randomBytes(300_000);
    const second = Buffer.from("second file, inline");
    const [uuid1, uuid2] = [randomUUID(), randomUUID()];

    await a.client.uploadFile(uuid1, harness.writeFile(first), {
      cloudFileName: "one.bin",
      mimeType: "application/octet-stream",
    });
    await a.client.uploadData(uuid2, second, { cloudFileName: "two.txt", ...text, appMetaData: '{"n":2}' });
    const uploaded: string[] = [];
    a.client.on("singleUploadComplete", (event) => uploaded.push(`${event.fileUUID}@${event.version}`));
    const sent = new Map<string, number>();
    a.client.on("transferProgress", (event) => {
      expect(event.direction).toBe("upload");
      sent.set(event.fileUUID, event.bytesDone);
    });
    const uploadBatch: BatchProgressEvent[] = [];
    a.client.on("batchProgress", (event) => uploadBatch.push(event));
    expect((await a.client.commit())?.changes).toHaveLength(2);
    await a.client.sync();
    expect(a.client.mode).toBe("idle");
    expectBatchProgressed(uploadBatch, {
      direction: "upload",
      batch: 1,
      filesTotal: 2,
      bytesTotal: first.length + second.length,
    });

    // The server's index and its cloud hold both files.
    const index = await phone.fileIndex();
    const byUUID = new Map(index.files.map((file: { fileUUID: string }) => [file.fileUUID, file]));
    expect(byUUID.get(uuid1)).toMatchObject({
      version: 0,
      sha256: sha256Hex(first),
      cloudFileName: "one.bin",
      deleted: false,
    });
    expect(byUUID.get(uuid2)).toMatchObject({ version: 0, sha256: sha256Hex(second), appMetaData: '{"n":2}' });
    expect(await cloudContent(harness.server, phone.userName, uuid1)).toEqual(first);
    expect(await cloudContent(harness.server, phone.userName, uuid2)).toEqual(second);
    expect(uploaded.sort()).toEqual([`${uuid1}@0`, `${uuid2}@0`].sort());
    expect(Object.fromEntries(sent)).toEqual({ [uuid1]: first.length, [uuid2]: second.length });
    expect(await a.store.get("files", uuid1)).toMatchObject({ version: 0, sha256: sha256Hex(first) });
    await expectNothingPending(a.store);

    // Device B gets both, with the right bytes, once.
    let finished = 0;
    b.client.on("downloadsFinished", () => (finished += 1));
    const received = new Map<string, number>();
    b.client.on("transferProgress", (event) => received.set(`${event.direction}:${event.fileUUID}`, event.bytesDone));
    const downloadBatch: BatchProgressEvent[] = [];
    b.client.on("batchProgress", (event) => downloadBatch.push(event));
    await b.client.sync();
    expectBatchProgressed(downloadBatch, {
      direction: "download",
      batch: null,
      filesTotal: 2,
      bytesTotal: first.length + second.length,
    });
    expect(b.app.saved.map((saved) => saved.file.fileUUID).sort()).toEqual([uuid1, uuid2].sort());
    expect(b.app.saved.find((saved) => saved.file.fileUUID === uuid1)!.bytes).toEqual(first);
    expect(b.app.saved.find((saved) => saved.file.fileUUID === uuid2)!.bytes).toEqual(second);
    expect(finished).toBe(1);
    expect(Object.fromEntries(received)).toEqual({
      [`download:${uuid1}`]: first.length,
      [`download:${uuid2}`]: second.length,
    });
    expect(await b.client.localFileStatus(uuid1)).toMatchObject({
      file: { version: 0 },
      pending: null,
      downloading: false,
    });
    await b.client.sync();
    expect(b.app.saved).toHaveLength(2);
    await expectNothingPending(b.store);

    // A deletes one; B applies the deletion through its callback.
    await a.client.deleteFile(uuid2);
    await a.client.commit();
    await a.client.sync();
    expect((await phone.fileIndex()).files.find((file: { fileUUID: string }) => file.fileUUID === uuid2)).toMatchObject(
      { deleted: true, version: 0 },
    );
    expect(await a.store.get("files", uuid2)).toMatchObject({ deleted: true });
    await b.client.sync();
    expect(b.app.deleted.map((files) => files.map((file) => file.fileUUID))).toEqual([[uuid2]]);
    expect(await b.store.get("files", uuid2)).toMatchObject({ deleted: true });
    expect(b.app.saved).toHaveLength(2);
  });

  it("an empty commit does nothing", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const before = await phone.fileIndex();
    expect(await a.client.commit()).toBeNull();
    await a.client.sync();
    expect(await a.store.list("committedUploads")).toEqual([]);
    const after = await phone.fileIndex();
    expect(after).toEqual(before);
    expect(after.files).toEqual([]);
  });

  it("two commits in a row upload in order", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const uuid = randomUUID();
    const v0 = Buffer.from("version zero");
    const v1 = Buffer.from("version one, longer");
    await a.client.uploadData(uuid, v0, { cloudFileName: "f.txt", ...text });
    await a.client.commit();
    await a.client.uploadData(uuid, v1, { cloudFileName: "f.txt", ...text });
    await a.client.commit();
    expect((await a.store.list("committedUploads")).length).toBe(2);
    const order: string[] = [];
    a.client.on("singleUploadComplete", (event) => order.push(`${event.batch}:${event.version}`));
    await a.client.sync();
    expect(order).toEqual(["1:0", "2:1"]);
    const entry = await indexEntry(phone, uuid);
    expect(entry).toMatchObject({ version: 1, sha256: sha256Hex(v1) });
    expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(v1);
    await expectNothingPending(a.store);
  });
});

describe("the lock", () => {
  it("held by another device: lockHeldElsewhere once, then it waits in the server and syncs once it is released", async () => {
    const phone = await harness.newUser();
    const laptopRaw = await harness.newDevice(phone.userName);
    const grant = await phone.lock(60);
    const b = await harness.openClient(laptopRaw);
    const uuid = randomUUID();
    await b.client.uploadData(uuid, Buffer.from("from the laptop"), { cloudFileName: "laptop.txt", ...text });
    await b.client.commit();
    let held = 0;
    const released = new Promise<void>((resolve) => {
      b.client.on("lockHeldElsewhere", () => {
        held += 1;
        if (held === 1) {
          // The engine's next lock call waits in the server (lockWaitSeconds): release the lock once it does.
          void untilLockCallWaits(harness.server, phone.userName)
            .then(() => phone.unlock(grant.fencingToken))
            .then(() => resolve());
        }
      });
    });
    await b.client.sync();
    await released;
    expect(held).toBe(1);
    expect(b.client.mode).toBe("idle");
    expect((await phone.fileIndex()).files.map((file: { fileUUID: string }) => file.fileUUID)).toEqual([uuid]);
  });
});

describe("the lock, with a wait longer than the server allows", () => {
  it("polls instead of failing the pass: lockHeldElsewhere on each refusal, and the sync succeeds once it is released", async () => {
    const phone = await harness.newUser();
    const laptopRaw = await harness.newDevice(phone.userName);
    const grant = await phone.lock(60);
    const tooLong = harness.server.app.services.config.lockMaxWaitSeconds + 1;
    const b = await harness.openClient(laptopRaw, { engine: { lockWaitSeconds: tooLong } });
    const uuid = randomUUID();
    await b.client.uploadData(uuid, Buffer.from("after polling"), { cloudFileName: "polled.txt", ...text });
    await b.client.commit();
    let held = 0;
    b.client.on("lockHeldElsewhere", () => {
      // A second refusal answered at once: the engine polls now (waiting in the server, it would hear one).
      if (++held === 2) {
        void phone.unlock(grant.fencingToken);
      }
    });
    await b.client.sync();
    expect(held).toBeGreaterThanOrEqual(2);
    expect(b.client.mode).toBe("idle");
    expect((await phone.fileIndex()).files.map((file: { fileUUID: string }) => file.fileUUID)).toEqual([uuid]);
  });
});

describe("misuse", () => {
  it("deleting an unknown file throws ClientUsageError and queues nothing", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    await expect(a.client.deleteFile(randomUUID())).rejects.toBeInstanceOf(ClientUsageError);
    await expect(a.client.deleteFile(randomUUID())).rejects.toMatchObject({ code: "UNKNOWN_FILE" });
    expect(await a.store.list("uploadsBeingPrepared")).toEqual([]);
    expect(await a.client.commit()).toBeNull();
  });

  it("a cloud name of another file throws CLOUD_NAME_TAKEN and queues nothing", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const first = randomUUID();
    await a.client.uploadData(first, Buffer.from("x"), { cloudFileName: "same.txt", ...text });
    await expect(
      a.client.uploadData(randomUUID(), Buffer.from("y"), { cloudFileName: "same.txt", ...text }),
    ).rejects.toMatchObject({
      name: "ClientUsageError",
      code: "CLOUD_NAME_TAKEN",
    });
    expect((await a.store.list("uploadsBeingPrepared")).map((entry) => entry.key)).toEqual([first]);
  });
});

describe("relaunch", () => {
  it("a new client over the same SQLite store resumes a batch left in beingUploaded, without sending the finished file again", async () => {
    const phone = await harness.newUser();
    const proxy = await startCuttingProxy(new URL(harness.server.url).port);
    try {
      const storeFile = path.join(harness.dir, `relaunch-${randomUUID()}.sqlite`);
      const workDir = path.join(harness.dir, `relaunch-work-${randomUUID()}`);
      // Both over serverInfo's batchMaxFileBytes (1 MiB), so both go over tus: this is tus's resume.
      const big = randomBytes(2 * 1024 * 1024);
      const small = randomBytes(1200 * 1024);
      // Uploads go in fileUUID order: the big file first.
      const [uuidBig, uuidSmall] = sortedUUIDs(2);

      // One upload at a time, so that the cut falls in the second file.
      const first = await harness.openClient(phone, {
        store: await SqliteStore.open(storeFile),
        workDir,
        serverUrl: proxy.url,
        engine: { transferConcurrency: 1 },
      });
      await first.client.uploadFile(uuidBig, harness.writeFile(big), {
        cloudFileName: "big.bin",
        mimeType: "application/octet-stream",
      });
      await first.client.uploadFile(uuidSmall, harness.writeFile(small), {
        cloudFileName: "small.bin",
        mimeType: "application/octet-stream",
      });
      await first.client.commit();
      // The big file's PATCH passes; the small one's is cut half way; the client is then "killed" (closed, no more network).
      void proxy.cutAfter({ direction: "up", afterBytes: big.length + 100 * 1024, match: /^PATCH /u }); // only resolves
      const cut = new Promise<void>((resolve) =>
        first.client.on("modeChanged", ({ mode }) => {
          if (mode === "networkNotConnected") {
            proxy.refuse(true);
            resolve();
          }
        }),
      );
      await first.client.sync();
      await cut;
      await first.client.close();

      const reopened = await SqliteStore.open(storeFile);
      const left = (await reopened.list("beingUploaded")).map((entry) => [entry.key, entry.value.done]);
      expect(left).toEqual([
        [uuidBig, true],
        [uuidSmall, false],
      ]);
      proxy.refuse(false);
      proxy.resetStats();
      const second = await harness.openClient(phone, { store: reopened, workDir, serverUrl: proxy.url });
      const recoveries: unknown[] = [];
      second.client.on("recovery", (event) => recoveries.push(event));
      await second.client.sync();
      expect(second.client.mode).toBe("idle");
      expect(recoveries).toEqual([{ kind: "resumedBatch", batch: 1, stage: "uploading", operationId: null }]);
      expect(proxy.stats.bytesUp).toBeLessThan(big.length);
      expect(sha256Hex((await cloudContent(harness.server, phone.userName, uuidBig))!)).toBe(sha256Hex(big));
      expect(sha256Hex((await cloudContent(harness.server, phone.userName, uuidSmall))!)).toBe(sha256Hex(small));
      await expectNothingPending(reopened);
    } finally {
      await proxy.close();
    }
  });
});

describe("what is uploaded", () => {
  it("uploadFile uploads the bytes as they were when queued (a client-owned copy, removed once uploaded); uploadImmutableFile reads the app's file", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const [copied, immutable] = [randomUUID(), randomUUID()];
    const appFile = harness.writeFile("as queued");
    const immutableFile = harness.writeFile("immutable content");
    await a.client.uploadFile(copied, appFile, { cloudFileName: "copied.txt", ...text });
    await a.client.uploadImmutableFile(immutable, immutableFile, { cloudFileName: "immutable.txt", ...text });
    const { writeFileSync, readdirSync } = await import("node:fs");
    writeFileSync(appFile, "changed by the app after queueing");
    expect(readdirSync(path.join(a.workDir, "uploads"))).toHaveLength(1);
    expect(await a.client.localFileStatus(copied)).toMatchObject({
      file: null,
      pending: { stage: "prepared", kind: "upload" },
    });
    await a.client.commit();
    expect(await a.client.localFileStatus(copied)).toMatchObject({ pending: { stage: "committed", kind: "upload" } });
    await a.client.sync();
    expect(await cloudContent(harness.server, phone.userName, copied)).toEqual(Buffer.from("as queued"));
    expect(await cloudContent(harness.server, phone.userName, immutable)).toEqual(Buffer.from("immutable content"));
    expect(readdirSync(path.join(a.workDir, "uploads"))).toEqual([]);
    expect(await a.client.localFileStatus(copied)).toMatchObject({
      file: { version: 0, sha256: sha256Hex(Buffer.from("as queued")) },
      pending: null,
    });
    expect((await a.client.fileIndex()).map((entry) => entry.fileUUID).sort()).toEqual([copied, immutable].sort());
  });

  it("a newer upload of a file before commit replaces the older one, and its copy is swept", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const uuid = randomUUID();
    await a.client.uploadFile(uuid, harness.writeFile("first"), { cloudFileName: "f.txt", ...text });
    await a.client.uploadFile(uuid, harness.writeFile("second"), { cloudFileName: "f.txt", ...text });
    await a.client.commit();
    await a.client.sync();
    expect((await phone.fileIndex()).files).toMatchObject([
      { fileUUID: uuid, version: 0, sha256: sha256Hex(Buffer.from("second")) },
    ]);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(path.join(a.workDir, "uploads"))).toEqual([]);
  });
});
