// After the schedule: no new fault (the armed ones may still strike, a
// bounded number of times), and every device commits and syncs until a whole
// round changes nothing anywhere (quiet), so the invariants can demand that
// everything has converged.
import { setTimeout as sleep } from "node:timers/promises";
import { isErrorMode } from "@smsync/client";
import type { SmsyncClient } from "@smsync/client/node";
import { Rng } from "./rng.ts";
import { resetIfInError, type RunContext } from "./runStep.ts";
import type { SimDevice } from "./simDevice.ts";

/** A device that is not idle after this long in one sync is stuck: a violation, not a wait. */
const syncTimeoutMs = 60_000;
/**
 * Rounds a user may take to become quiet. A round in which a device met an
 * error mode does not count: a permanent fault armed before settle struck
 * (each strike ends a pass in nonRecoverableError, and the app resets), and
 * the faults are finite; but no more than maxErrorRounds such rounds.
 * Counting them (8 in all) failed seed 55500022, whose 7 permanent cloud
 * reads struck one a round: its last upload came in round 8, and no round
 * was left for the other device to take it in.
 */
const maxRounds = 8;
const maxErrorRounds = 24;

/** One sync to idle (however many passes the engine needs); returns the error mode it ended in, or "timeout". */
export async function syncUntilIdle(client: SmsyncClient): Promise<string | null> {
  let off: () => void = () => undefined;
  const ended = new Promise<string | null>((resolve) => {
    off = client.on("modeChanged", (event) => {
      if (event.mode === "idle") resolve(null);
      else if (isErrorMode(event.mode)) resolve(`${event.mode}: ${event.error?.message ?? ""}`);
    });
  });
  try {
    try {
      await client.sync();
    } catch (error) {
      // A pass that ends in an error mode rejects sync(): the mode is the answer (the caller resets and syncs again).
      if (isErrorMode(client.mode)) return `${client.mode}: ${(error as Error).message}`;
      throw error;
    }
    if (client.mode === "idle") return null;
    return await Promise.race([ended, sleep(syncTimeoutMs).then(() => "timeout")]);
  } finally {
    off();
  }
}

/** What a device's sync changed on the server (its uploads and deletions, its batches, its resets): the others must sync after it. */
const serverChanges = (device: SimDevice) =>
  device.record.singleUploadComplete.length + device.record.committed.length + device.record.resets.length;

/** Returns the problems met (a device stuck, never quiet); empty when every device converged. */
export async function settle(context: RunContext, seed: number): Promise<string[]> {
  const problems: string[] = [];
  const all = context.devices.flat();
  // Armed server-side faults not yet struck go on into settle, where most transfers happen: crash points, the Drive's
  // faults and the cloud faults (permanent ones lead to nonRecoverableError and resetFromError). All are finite; the
  // checks end them (SimServer.endFaults).
  // So do client kills and pauses not yet struck, through each device's first settle step: a schedule's passes are
  // short, and few would strike before settle otherwise. A killed device's app relaunches and makes its call again.
  for (const device of all) {
    device.proxy.disarm();
    device.proxy.refuse(false);
    device.offline = false;
    device.client.setOnline(true);
  }
  for (const device of all) await device.awaitSync();
  // A user has converged when each of its devices synced (to idle) after the last change any of them made on the server:
  // a device syncs again only when another changed the server after its own last sync. Users are independent: they settle
  // side by side, a user's devices one after another.
  const converged = await Promise.all(
    context.devices.map(async (devices, user) => {
      const due = new Set(devices);
      for (let round = 1, counted = 0, errorRounds = 0; counted < maxRounds; round++) {
        let metErrorMode = false;
        for (const [index, device] of devices.entries()) {
          if (!due.delete(device)) continue;
          const before = serverChanges(device);
          await resetIfInError(device, context, new Rng(seed, 900_000 + round * 1000 + user * 100 + index));
          const ended = await device.call(async (client) => {
            const batch = await client.commit();
            if (batch) device.record.committed.push(batch);
            return syncUntilIdle(client);
          });
          if (round === 1) await device.stopClientFaults();
          if (ended) {
            context.trace.note(`settle round ${round}: ${device.name} ended in ${ended}`);
            if (ended === "timeout")
              problems.push(`${device.name} did not come back to idle within ${syncTimeoutMs} ms (round ${round})`);
            if (ended !== "timeout") metErrorMode = true;
            due.add(device);
          }
          if (serverChanges(device) !== before) for (const other of devices) if (other !== device) due.add(other);
        }
        if (due.size === 0) {
          context.trace.note(`user ${user}: quiet after ${round} settle round(s)`);
          return true;
        }
        if (metErrorMode && errorRounds < maxErrorRounds) errorRounds++;
        else counted++;
      }
      return false;
    }),
  );
  problems.push(...(await owedRemovalsDone(context)));
  if (converged.every(Boolean) && all.every((device) => device.client.mode === "idle")) return problems;
  problems.push(
    `not quiet after ${maxRounds} settle rounds (besides those that met an error mode; a device left busy or in ${all.map((device) => device.client.mode).join("/")})`,
  );
  return problems;
}

/**
 * A removal of a replaced cloud object that failed is owed and retried by the
 * server with backoff, and the writes of a given-up batch are removed after
 * it: waits (bounded) until the run's users owe none.
 */
const owedRemovalsTimeoutMs = 30_000;

async function owedRemovalsDone(context: RunContext): Promise<string[]> {
  const userIds = await Promise.all(context.userNames.map((userName) => context.server.userId(userName)));
  const deadline = Date.now() + owedRemovalsTimeoutMs;
  for (;;) {
    const owed = [
      ...(await context.server.db.owedCloudRemoval.findMany({ where: { userId: { in: userIds } } })),
      ...(await context.server.db.abandonedCloudWrite.findMany({ where: { userId: { in: userIds } } })),
    ];
    if (owed.length === 0) return [];
    if (Date.now() > deadline) {
      return [
        `the server still owes ${owed.length} cloud removal(s) ${owedRemovalsTimeoutMs} ms after settle (${owed.map((row) => `${row.fileUUID}: ${row.lastError}`).join("; ")})`,
      ];
    }
    await sleep(100);
  }
}
