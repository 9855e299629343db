// Named points where a test can make the server kill itself with SIGKILL,
// to prove that every step of a transfer is crash-safe. Inactive unless
// SMSYNC_CRASH_AT names a point; SMSYNC_CRASH_AFTER=N skips the first N hits.
export const crashPointNames = [
  "outbound.claimed",
  "outbound.afterCloudWrite",
  "outbound.afterIndexUpdate",
  "outbound.afterReplacedObjectRemoved",
  "outbound.beforeRelease",
  "inbound.claimed",
  "inbound.afterStaging",
  "inbound.afterItemDone",
  "inbound.beforeRelease",
] as const;

export type CrashPoint = (typeof crashPointNames)[number];

const target = process.env.SMSYNC_CRASH_AT;
let skip = Number(process.env.SMSYNC_CRASH_AFTER ?? 0);

export function crashPoint(name: CrashPoint): void {
  if (target !== name) return;
  if (skip-- > 0) return;
  process.stderr.write(`smsync: crash point ${name} reached, killing the process\n`);
  process.kill(process.pid, "SIGKILL");
}
