// A pass that goes on to send a mutation after suspend() aborted it must not
// leave the outbox's promise of that mutation unobserved: when the client is
// then closed, the outbox rejects it (OUTBOX_CLOSED), and an unobserved
// rejection crashes a Node app. Found by the simulator (sim, seed 18). Nor
// may a pass suspended just before a mutation still queue it: the outbox
// would send it while the app sleeps (and take the lock for it).
import { randomUUID } from "node:crypto";
import { setImmediate } from "node:timers/promises";
import { expect, it } from "vitest";
import { useEngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { syncUntilIdle } from "../support/syncedState.ts";

const harness = useEngineHarness();

const text = { mimeType: "text/plain" };

it("suspended by the app during a pass, then closed: no unhandled rejection", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const phone = await harness.newUser();
    const a = await harness.openClient(phone);
    const laptop: { device?: TestDevice } = {};
    laptop.device = await harness.openClient(await harness.newDevice(phone.userName), {
      // The app goes to the background while it applies the deletion; the pass goes on to the downloads' mutation.
      // Not awaited: suspend() waits for the pass, which waits for this. It does not reject.
      beforeApplyDeletions: () => {
        void laptop.device!.client.suspend();
        return Promise.resolve();
      },
    });
    const gone = randomUUID();
    await a.client.uploadData(gone, Buffer.from("to be deleted"), { cloudFileName: "gone.txt", ...text });
    await a.client.commit();
    await syncUntilIdle(a.client);
    await syncUntilIdle(laptop.device.client);
    await a.client.deleteFile(gone);
    await a.client.uploadData(randomUUID(), Buffer.from("new"), { cloudFileName: "new.txt", ...text });
    await a.client.commit();
    await syncUntilIdle(a.client);

    await laptop.device.client.sync();
    await laptop.device.client.close({ closeStore: false });
    // Node reports an unobserved rejection once the macrotask that left it has ended.
    await setImmediate();
    await setImmediate();
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

it("suspended just before a mutation: it is not queued while the app sleeps, and resume sends it", async () => {
  const phoneRaw = await harness.newUser();
  const store = new MemoryStore();
  const phone: { device?: TestDevice } = {};
  let suspended: Promise<void> | undefined;
  phone.device = await harness.openClient(phoneRaw, {
    store,
    engine: {
      // The app goes to the background right after the lock's key is stored, before the lock is asked for.
      atPersistencePoint(point) {
        if (point === "lock.keyStored" && !suspended) suspended = phone.device!.client.suspend();
      },
    },
  });
  const fileUUID = randomUUID();
  await phone.device.client.uploadData(fileUUID, Buffer.from("after the nap"), { cloudFileName: "nap.txt", ...text });
  await phone.device.client.commit();
  await phone.device.client.sync().catch(() => undefined);
  await suspended;
  // The outbox over a MemoryStore enqueues in microtasks: anything it was handed has been stored by now.
  await setImmediate();
  expect([...(await store.list("outbox")), ...(await store.list("outboxResults"))]).toEqual([]);
  expect((await phoneRaw.fileIndex()).files).toEqual([]);

  await phone.device.client.resume();
  await syncUntilIdle(phone.device.client);
  expect((await phoneRaw.fileIndex()).files.map((file: { fileUUID: string }) => file.fileUUID)).toEqual([fileUUID]);
});
