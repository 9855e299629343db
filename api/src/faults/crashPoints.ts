// Named points where a test can make the server kill itself with SIGKILL,
// to prove that every step of a transfer is crash-safe. Inactive unless
// SMSYNC_CRASH_AT names a point (SMSYNC_CRASH_AFTER=N skips the first N
// hits), or a harness driving the process arms one at runtime (armCrashPoint).
import { Transform } from "node:stream";

export const crashPointNames = [
  "outbound.claimed",
  "outbound.midCloudWrite", // part of a file's bytes sent to the cloud
  "outbound.afterCloudWrite",
  "outbound.afterIndexUpdate",
  "outbound.afterReplacedObjectRemoved",
  "outbound.beforeRelease",
  "inbound.claimed",
  "inbound.midCloudRead", // part of a file's bytes copied into staging
  "inbound.afterStaging",
  "inbound.afterItemDone",
  "inbound.beforeRelease",
] as const;

/**
 * The last-byte check of an upload (uploads/LastByteCheck.ts) and the steps
 * of a batch upload (batches/uploadBatchHandler.ts). Kept out of
 * crashPointNames, which the simulator draws from: a new name there would
 * change what every seed draws.
 */
export const uploadCrashPointNames = [
  "upload.beforeCheck", // every byte durable, the sha256 not checked
  "upload.afterCheck", // marked COMPLETE, the answer not sent
  "uploadBatch.afterFilesWritten", // a group of a batch upload's files durable in staging, no row recorded
  "uploadBatch.afterRecorded", // the group's rows committed, the answer not sent
] as const;

/**
 * Inside a chunk of an outbound transfer (transferChunks.ts): a file's cloud
 * write done while others of its chunk may still be under way, none of them
 * recorded. Kept out of crashPointNames for the same reason.
 */
export const chunkCrashPointNames = ["outbound.chunkFileWritten"] as const;

export type CrashPoint =
  (typeof crashPointNames)[number] | (typeof uploadCrashPointNames)[number] | (typeof chunkCrashPointNames)[number];

let target = process.env.SMSYNC_CRASH_AT;
let skip = Number(process.env.SMSYNC_CRASH_AFTER ?? 0);

/** From now on the process kills itself the (skip+1)-th time it reaches `name` (replacing any point armed before). */
export function armCrashPoint(name: CrashPoint, skipHits = 0): void {
  target = name;
  skip = skipHits;
}

export function disarmCrashPoints(): void {
  target = undefined;
  skip = 0;
}

export function crashPoint(name: CrashPoint): void {
  if (target !== name) return;
  if (skip-- > 0) return;
  process.stderr.write(`smsync: crash point ${name} reached, killing the process\n`);
  process.kill(process.pid, "SIGKILL");
}

/**
 * For a point in the middle of a byte stream: a pass-through to put in the
 * stream, which reaches the point when a file's second chunk comes through
 * (its first is on its way); null when the point is not armed, so that the
 * stream is left alone.
 */
export function crashPointInStream(name: CrashPoint): Transform | null {
  if (target !== name) return null;
  let chunks = 0;
  return new Transform({
    transform(chunk, _encoding, done) {
      if (chunks++ === 1) crashPoint(name);
      done(null, chunk);
    },
  });
}
