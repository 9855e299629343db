// For the engine's recovery tests: run a device's sync until its engine is
// idle again (a pass cut by the network ends in networkNotConnected and the
// engine retries on its own), and check that it left nothing behind.
import { expect } from "vitest";
import { isErrorMode, type Mode } from "../../src/modes.ts";
import type { SmsyncClient } from "../../src/SmsyncClient.ts";
import type { ClientStore } from "../../src/store/ClientStore.ts";
import { workLeftInStore } from "../../src/store/workInProgress.ts";

/**
 * Starts a sync and resolves once the engine is idle after it, however many
 * passes the engine needed (sync() itself resolves when a pass ends in
 * networkNotConnected); rejects in an error mode. Returns the modes it went
 * through, in order.
 */
export async function syncUntilIdle(client: SmsyncClient): Promise<string[]> {
  const modes: string[] = [];
  let off: () => void = () => undefined;
  const idle = new Promise<void>((resolve, reject) => {
    off = client.on("modeChanged", (event) => {
      modes.push(event.mode);
      if (event.mode === "idle") resolve();
      else if (isErrorMode(event.mode)) reject(event.error ?? new Error(`the engine went to ${event.mode}`));
    });
  });
  try {
    await client.sync();
    await idle;
  } finally {
    off();
  }
  return modes;
}

/** Resolves when the client's mode next becomes `mode`. */
export function modeReached(client: SmsyncClient, mode: Mode): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on("modeChanged", (event) => {
      if (event.mode === mode) {
        off();
        resolve();
      }
    });
  });
}

/** Nothing left in the device's queues, and no engine state (lock key, inbound or outbound transfer) in its meta. */
export async function expectNothingPending(store: ClientStore): Promise<void> {
  expect(await workLeftInStore(store)).toEqual({ records: {}, engineState: [] });
}
