// A pass that goes on to send a mutation after suspend() aborted it must not
// leave the outbox's promise of that mutation unobserved: when the client is
// then closed, the outbox rejects it (OUTBOX_CLOSED), and an unobserved
// rejection crashes a Node app. Found by the simulator (sim, seed 18).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEngineHarness, type EngineHarness, type TestDevice } from "../support/engineHarness.ts";
import { syncUntilIdle } from "../support/syncedState.ts";

let harness: EngineHarness;

beforeAll(async () => {
  harness = await startEngineHarness();
});
afterAll(async () => {
  await harness?.close();
});

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
      beforeApplyDeletions: async () => void laptop.device!.client.suspend(),
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
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});
