// For the live mode's tests (engine/liveSync*.test.ts): what a device's live
// mode told (remoteChange, liveConnection) and how many passes it ran, and
// the waits on them, bounded so a bug fails with what was last seen.
import { eventually } from "@smsync/testkit";
import type { LiveConnectionEvent, RemoteChangeEvent } from "../../src/engine/liveSync.ts";
import type { SmsyncClient } from "../../src/SmsyncClient.ts";
import type { MovableClock } from "../../src/time/MovableClock.ts";
import type { TestDevice } from "./engineHarness.ts";

export interface LiveRecord {
  remoteChanges: RemoteChangeEvent[];
  connections: LiveConnectionEvent[];
  /** Passes begun: each time the mode went to synchronizing (a pass sets it first, once). */
  passes: number;
}

/** Records the device's live events and passes from now on. */
export function recordLive(client: SmsyncClient): LiveRecord {
  const record: LiveRecord = { remoteChanges: [], connections: [], passes: 0 };
  client.on("remoteChange", (event) => record.remoteChanges.push(event));
  client.on("liveConnection", (event) => record.connections.push(event));
  client.on("modeChanged", (event) => {
    if (event.mode === "synchronizing") record.passes++;
  });
  return record;
}

/** The states liveConnection went through, in order. */
export function connectionStates(record: LiveRecord): string[] {
  return record.connections.map((event) => event.state);
}

/** Waits until check holds of the record (within the timeout). */
export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  await eventually(what, () => Promise.resolve(check()), Boolean, timeoutMs);
}

/** Waits until the device's engine is idle with no pass of live mode scheduled on its clock. */
export async function untilSettled(device: TestDevice, clock: MovableClock, timeoutMs = 60_000): Promise<void> {
  await until(
    "the engine idle and no pass scheduled",
    () => device.client.mode === "idle" && !clock.pending.some((timer) => timer.purpose === "livePass"),
    timeoutMs,
  );
}

/** Queues `content` as the file, commits it, and syncs it up. */
export async function putFile(client: SmsyncClient, fileUUID: string, content: string): Promise<void> {
  await client.uploadData(fileUUID, Buffer.from(content), { cloudFileName: `${fileUUID}.txt`, mimeType: "text/plain" });
  await client.commit();
  await client.sync();
}

/** Queues the file's deletion, commits it, and syncs it up. */
export async function removeFile(client: SmsyncClient, fileUUID: string): Promise<void> {
  await client.deleteFile(fileUUID);
  await client.commit();
  await client.sync();
}

/** The contents the device's app saved, by fileUUID (the last version saved of each). */
export function savedContents(device: TestDevice): Map<string, string> {
  return new Map(device.app.saved.map(({ file, bytes }) => [file.fileUUID, bytes.toString()]));
}
