// The engine's per-instance persistence-point hook (atPersistencePoint), for
// clients that share a process (the simulator): it is awaited at each named
// point in the order the pass commits them, and a hook that holds the engine
// holds the pass there.
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { ClientCrashPoint } from "../../src/engine/crashPoints.ts";
import { useEngineHarness } from "../support/engineHarness.ts";

const harness = useEngineHarness();

const text = { mimeType: "text/plain" };
/** The points of taking the lock, which a pass does first. The transfer of its batch or its downloads ends it. */
const locking: ClientCrashPoint[] = ["lock.keyStored", "lock.granted"];

it("sees the points of an upload pass and of a download pass, in order", async () => {
  const phoneRaw = await harness.newUser();
  const laptopRaw = await harness.newDevice(phoneRaw.userName);
  const phonePoints: ClientCrashPoint[] = [];
  const laptopPoints: ClientCrashPoint[] = [];
  const phone = await harness.openClient(phoneRaw, {
    engine: { atPersistencePoint: (name) => void phonePoints.push(name) },
  });
  const laptop = await harness.openClient(laptopRaw, {
    engine: { atPersistencePoint: (name) => void laptopPoints.push(name) },
  });

  await phone.client.uploadData(randomUUID(), Buffer.from("hooked"), { cloudFileName: "hooked.txt", ...text });
  await phone.client.commit();
  await phone.client.sync();
  await laptop.client.sync();

  expect(phonePoints).toEqual([
    ...locking,
    "upload.batchBegun",
    "upload.fileDone",
    "upload.commitSent",
    "upload.commitAccepted",
    "upload.batchFinished",
  ]);
  expect(laptopPoints).toEqual([
    ...locking,
    "download.planned",
    "download.started",
    "download.fileAcknowledged",
    "download.finished",
  ]);
  expect(laptop.app.saved.map((saved) => saved.bytes.toString())).toEqual(["hooked"]);
});

it("holds the pass while the hook holds the engine at a point", async () => {
  const phoneRaw = await harness.newUser();
  let reached!: () => void;
  let release!: () => void;
  const reachedPoint = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const phone = await harness.openClient(phoneRaw, {
    engine: {
      async atPersistencePoint(name) {
        if (name !== "upload.fileDone") return;
        reached();
        await released;
      },
    },
  });
  const fileUUID = randomUUID();
  await phone.client.uploadData(fileUUID, Buffer.from("held"), { cloudFileName: "held.txt", ...text });
  await phone.client.commit();
  let passEnded = false;
  const pass = phone.client.sync().finally(() => (passEnded = true));
  await reachedPoint;

  // Held after the upload and before the commit: the pass waits, and the server has not indexed the file yet.
  expect((await phoneRaw.fileIndex()).files).toEqual([]);
  expect(passEnded).toBe(false);
  release();
  await pass;
  expect((await phoneRaw.fileIndex()).files.map((file: { fileUUID: string }) => file.fileUUID)).toEqual([fileUUID]);
  expect(phone.client.mode).toBe("idle");
});
