// Recovery through the engine's modes, against a real server: the server
// unreachable (networkNotConnected, queues kept, then done), an app callback
// failing (internalError, persisted, until resetFromError), and the lock lost
// in the middle of a batch (locked again, batch redone under the new grant),
// and suspend/resume mid-upload and mid-download.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fileDeletedElsewhere } from "../support/deletedElsewhere.ts";
import { useProxiedEngineHarness } from "../support/engineHarness.ts";
import { untilLockCallWaits } from "../support/lockWaits.ts";
import { modeReached } from "../support/syncedState.ts";
import { cloudContent, sha256Hex } from "../transfers/helpers.ts";
import { anyNumber, anyString } from "../support/matchers.ts";
import { indexEntry } from "../support/serverReads.ts";

const { harness, proxy } = useProxiedEngineHarness();

const text = { mimeType: "text/plain" };

describe("modes", () => {
  it("server unreachable: networkNotConnected with the queues kept, then the batch goes up once it is back", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone, { serverUrl: proxy.url });
    const uuid = randomUUID();
    const content = Buffer.from("written while offline");
    await a.client.uploadData(uuid, content, { cloudFileName: "offline.txt", ...text });
    await a.client.commit();
    proxy.refuse(true);
    proxy.cutAll();
    const offline = modeReached(a.client, "networkNotConnected");
    const syncing = a.client.sync();
    await offline;
    expect(await a.store.get("meta", "mode")).toBe("networkNotConnected");
    expect(await a.store.list("committedUploads")).toHaveLength(1);
    expect((await phone.fileIndex()).files).toEqual([]);

    const idle = modeReached(a.client, "idle");
    const recoveries: unknown[] = [];
    a.client.on("recovery", (event) => recoveries.push(event));
    proxy.refuse(false);
    a.client.setOnline(true);
    await syncing;
    await idle;
    expect(recoveries).toEqual([{ kind: "networkRestored", failedPasses: anyNumber() }]);
    expect(await a.store.get("meta", "mode")).toBe("idle");
    expect(
      (await phone.fileIndex()).files.map((file: { fileUUID: string; sha256: string }) => [file.fileUUID, file.sha256]),
    ).toEqual([[uuid, sha256Hex(content)]]);
    expect(await cloudContent(harness.server, phone.userName, uuid)).toEqual(content);
  });

  it("an app callback that fails: internalError, persisted, refusing calls until resetFromError; then the download is delivered", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    const uuid = randomUUID();
    await a.client.uploadData(uuid, Buffer.from("for the laptop"), { cloudFileName: "l.txt", ...text });
    await a.client.commit();
    await a.client.sync();

    let failSaves = true;
    const failing = await harness.openClient(laptop, {
      beforeSaveDownload: () => (failSaves ? Promise.reject(new Error("the app's disk is full")) : Promise.resolve()),
    });
    const record = failing.app;

    await expect(failing.client.sync()).rejects.toThrow("the app's disk is full");
    expect(failing.client.mode).toBe("internalError");
    expect(await failing.store.get("meta", "mode")).toBe("internalError");
    await expect(failing.client.sync()).rejects.toMatchObject({ code: "ERROR_MODE" });
    await expect(
      failing.client.uploadData(randomUUID(), Buffer.from("x"), { cloudFileName: "x.txt", ...text }),
    ).rejects.toMatchObject({
      name: "ClientUsageError",
      code: "ERROR_MODE",
    });
    expect(await failing.store.list("uploadsBeingPrepared")).toEqual([]);

    failSaves = false;
    await failing.client.resetFromError("local");
    expect(failing.client.mode).toBe("idle");
    await failing.client.sync();
    expect(record.saved.map((saved) => [saved.file.fileUUID, saved.bytes.toString()])).toEqual([
      [uuid, "for the laptop"],
    ]);
    expect(await failing.store.get("files", uuid)).toMatchObject({ version: 0 });
  });
});

describe("resetFromError called twice at once", () => {
  it("a second call with the same scope joins the running reset (one reset on the server); another scope is refused", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone, { serverUrl: proxy.url });
    await a.client.uploadData(randomUUID(), Buffer.from("staged"), { cloudFileName: "staged.txt", ...text });
    proxy.resetStats();
    const graphqlPosts = () => proxy.stats.requests.filter((line) => line.startsWith("POST /graphql")).length;

    const first = a.client.resetFromError("all");
    const second = a.client.resetFromError("all");
    await expect(a.client.resetFromError("local")).rejects.toMatchObject({
      name: "ClientUsageError",
      code: "RESET_IN_PROGRESS",
    });
    await Promise.all([first, second]);
    expect(graphqlPosts(), "one resetServerState for both calls").toBe(1);
    expect(a.client.mode).toBe("idle");
    expect(await a.store.list("uploadsBeingPrepared")).toEqual([]);

    // Once it has ended, a reset runs again.
    await a.client.resetFromError("server");
    expect(graphqlPosts()).toBe(2);
  });
});

describe("the lock lost mid-batch", () => {
  it("locks again and redoes the batch under the new grant", async () => {
    const phone = await harness.newUser();
    const laptopRaw = await harness.newDevice(phone.userName);
    const tabletRaw = await harness.newDevice(phone.userName);
    const a = await harness.openClient(phone);
    let takeOver = false;
    const b = await harness.openClient(laptopRaw, {
      async beforeApplyDeletions() {
        if (!takeOver) return;
        takeOver = false;
        // While B holds the lock: its lock is released on the server, and the tablet takes a grant (a newer fencing token) and lets it go.
        await laptopRaw.ok(`mutation($key: String!) { resetServerState(idempotencyKey: $key) { releasedLock } }`, {
          key: randomUUID(),
        });
        const grant = await tabletRaw.lock();
        await tabletRaw.unlock(grant.fencingToken);
      },
    });
    await fileDeletedElsewhere(a, b);

    const fresh = randomUUID();
    const content = Buffer.from("uploaded under the second grant");
    await b.client.uploadData(fresh, content, { cloudFileName: "fresh.txt", ...text });
    await b.client.commit();
    takeOver = true;
    await b.client.sync();
    expect(takeOver).toBe(false); // the take-over happened
    expect(b.client.mode).toBe("idle");
    const entry = await indexEntry(phone, fresh);
    expect(entry).toMatchObject({ version: 0, sha256: sha256Hex(content) });
    expect(await cloudContent(harness.server, phone.userName, fresh)).toEqual(content);
    for (const collection of ["committedUploads", "beingUploaded", "tusUploads", "outboxResults"] as const)
      expect(await b.store.list(collection), collection).toEqual([]);
  });

  it("an upload whose staged copy the server discarded (404) locks again and redoes the batch under the new grant", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone, { serverUrl: proxy.url });
    const uuid = randomUUID();
    const { randomBytes } = await import("node:crypto");
    const content = randomBytes(2 * 1024 * 1024);
    await a.client.uploadFile(uuid, harness.writeFile(content), {
      cloudFileName: "discarded.bin",
      mimeType: "application/octet-stream",
    });
    await a.client.commit();
    // The first PATCH is held by the proxy while the device's staged upload and lock are given up on the server
    // (resetServerState, as after a lost lock), so it reaches the server for an upload that no longer exists.
    let discarded: Promise<void> | undefined;
    proxy.transform = (direction, chunk) => {
      if (direction === "up" && !discarded && chunk.subarray(0, 6).toString("latin1") === "PATCH ") {
        const holding = setInterval(() => void proxy.stall(200), 50);
        void proxy.stall(200);
        discarded = phone
          .ok(`mutation($key: String!) { resetServerState(idempotencyKey: $key) { discardedUploads } }`, {
            key: randomUUID(),
          })
          .then(() => undefined)
          .finally(() => clearInterval(holding));
      }
      return chunk;
    };
    const modes: string[] = [];
    a.client.on("modeChanged", (event) => modes.push(event.mode));
    try {
      await a.client.sync();
    } finally {
      proxy.transform = null;
    }
    expect(discarded, "the PATCH was held while the upload was discarded").toBeDefined();
    await discarded;
    expect(a.client.mode).toBe("idle");
    expect(modes).not.toContain("internalError");
    expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
    expect(sha256Hex((await cloudContent(harness.server, phone.userName, uuid))!)).toBe(sha256Hex(content));
    for (const collection of ["committedUploads", "beingUploaded", "tusUploads", "outboxResults"] as const)
      expect(await a.store.list(collection), collection).toEqual([]);
  });
});

describe("suspend and resume", () => {
  it("suspend while waiting for another device's lock stops the engine with the batch kept; resume finishes it", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const grant = await phone.lock(60);
    const b = await harness.openClient(laptop);
    const uuid = randomUUID();
    const content = Buffer.from("queued before the suspension");
    await b.client.uploadData(uuid, content, { cloudFileName: "s.txt", ...text });
    await b.client.commit();
    const held = new Promise<void>((resolve) => b.client.on("lockHeldElsewhere", () => resolve()));
    const syncing = b.client.sync();
    await held;
    await b.client.suspend();
    await syncing;
    expect(b.client.mode).toBe("idle");
    expect(await b.store.list("committedUploads")).toHaveLength(1);
    await b.client.sync(); // does nothing while suspended
    expect(await b.store.list("committedUploads")).toHaveLength(1);

    await phone.unlock(grant.fencingToken);
    await b.client.resume();
    expect(b.client.mode).toBe("idle");
    expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
    for (const collection of ["committedUploads", "beingUploaded", "tusUploads", "outbox", "outboxResults"] as const)
      expect(await b.store.list(collection), collection).toEqual([]);
  });

  it("suspend while the lock call waits in the server; resume sends it again as it was sent, and finishes", async () => {
    const phone = await harness.newUser();
    const laptop = await harness.newDevice(phone.userName);
    const grant = await phone.lock(60);
    const b = await harness.openClient(laptop);
    const uuid = randomUUID();
    const content = Buffer.from("queued before a suspension during the wait");
    await b.client.uploadData(uuid, content, { cloudFileName: "w.txt", ...text });
    await b.client.commit();
    const syncing = b.client.sync();
    // The engine's second lock call (with waitSeconds) is waiting in the server.
    await untilLockCallWaits(harness.server, phone.userName);
    await b.client.suspend();
    await syncing;
    const resumed = b.client.resume();
    await untilLockCallWaits(harness.server, phone.userName);
    await phone.unlock(grant.fencingToken);
    await resumed;
    // The stored key went again with the same waitSeconds (with another, the outbox refuses it: IDEMPOTENCY_KEY_REUSED).
    expect(b.client.mode).toBe("idle");
    expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
  });

  it("suspend during an upload, then resume: the batch is finished", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const uuid = randomUUID();
    const { randomBytes } = await import("node:crypto");
    const content = randomBytes(4 * 1024 * 1024);
    await a.client.uploadFile(uuid, harness.writeFile(content), {
      cloudFileName: "big.bin",
      mimeType: "application/octet-stream",
    });
    await a.client.commit();
    const syncing = a.client.sync();
    // Suspend once the tus upload exists (its resume state is stored), or the batch is done.
    while (
      (await a.store.list("tusUploads")).length === 0 &&
      (await a.store.list("committedUploads")).length + (await a.store.list("beingUploaded")).length > 0
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await a.client.suspend();
    await syncing;
    expect(a.client.mode).toBe("idle");
    await a.client.resume();
    expect(a.client.mode).toBe("idle");
    expect((await phone.fileIndex()).files).toMatchObject([{ fileUUID: uuid, version: 0, sha256: sha256Hex(content) }]);
    // (sha256 rather than toEqual: a deep comparison of 4 MiB takes seconds)
    expect(sha256Hex((await cloudContent(harness.server, phone.userName, uuid))!)).toBe(sha256Hex(content));
    for (const collection of ["committedUploads", "beingUploaded", "tusUploads", "outbox", "outboxResults"] as const)
      expect(await a.store.list(collection), collection).toEqual([]);
  });

  it("suspend during a download, then resume: the rest is fetched from where it stopped, and the file delivered once", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const b = await harness.openClient(await harness.newDevice(phone.userName), { serverUrl: proxy.url });
    const uuid = randomUUID();
    const { randomBytes } = await import("node:crypto");
    const content = randomBytes(8 * 1024 * 1024);
    await a.client.uploadFile(uuid, harness.writeFile(content), {
      cloudFileName: "big.bin",
      mimeType: "application/octet-stream",
    });
    await a.client.commit();
    await a.client.sync();

    let suspended: Promise<void> | undefined;
    const off = b.client.on("transferProgress", (event) => {
      // Half way: what comes again after resume (the rest, plus GraphQL traffic through the same proxy) stays well under the file's size.
      if (
        event.direction === "download" &&
        event.bytesDone >= content.length / 2 &&
        event.bytesDone < content.length &&
        !suspended
      )
        suspended = b.client.suspend();
    });
    await b.client.sync();
    off();
    expect(suspended).toBeDefined();
    await suspended;
    expect(b.app.saved).toEqual([]);
    expect(await b.store.list("beingDownloaded")).toHaveLength(1);

    const recoveries: unknown[] = [];
    b.client.on("recovery", (event) => recoveries.push(event));
    proxy.resetStats();
    await b.client.resume();
    expect(b.client.mode).toBe("idle");
    expect(recoveries).toEqual([{ kind: "resumedDownloads", files: 1, operationId: anyString() }]);
    expect(b.app.saved.map((saved) => [saved.file.fileUUID, sha256Hex(saved.bytes)])).toEqual([
      [uuid, sha256Hex(content)],
    ]);
    expect(proxy.stats.bytesDown).toBeLessThan(content.length * 0.75); // resumed with Range, not fetched again whole
    for (const collection of ["beingDownloaded", "outbox", "outboxResults"] as const)
      expect(await b.store.list(collection), collection).toEqual([]);
  });

  it("close while the server is unreachable returns, and the queues are kept for the next launch", async () => {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone, { serverUrl: proxy.url });
    await a.client.uploadData(randomUUID(), Buffer.from("never sent"), { cloudFileName: "n.txt", ...text });
    await a.client.commit();
    proxy.refuse(true);
    proxy.cutAll(); // keep-alive connections of earlier tests too
    try {
      const offline = modeReached(a.client, "networkNotConnected");
      const syncing = a.client.sync();
      await offline;
      await a.client.close({ closeStore: false });
      await syncing;
      expect(await a.store.list("committedUploads")).toHaveLength(1);
      expect((await a.store.list("outbox")).length).toBeGreaterThanOrEqual(1); // the lock request, to be sent by the next launch
    } finally {
      proxy.refuse(false);
    }
  });
});
