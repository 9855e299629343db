// Named persistence points of the sync engine where a test can make the
// client process kill itself with SIGKILL, right after the store commit the
// point names, to prove that a relaunch resumes at the first step that did
// not commit. Inactive unless SMSYNC_CLIENT_CRASH_AT names a point;
// SMSYNC_CLIENT_CRASH_AFTER=N skips the first N hits. (Node only; a no-op
// where there is no process.) Clients sharing one process (the simulator)
// use SyncEngineOptions.atPersistencePoint instead: a per-engine hook awaited
// at the same points.
export const clientCrashPointNames = [
  "lock.keyStored",
  "lock.granted",
  "download.planned",
  "download.started",
  "download.fileAcknowledged",
  "download.finished",
  "deletions.applied",
  "upload.batchBegun",
  "upload.fileDone",
  "upload.deletionsRecorded",
  "upload.commitSent",
  "upload.commitAccepted",
  "upload.batchFinished",
] as const;

export type ClientCrashPoint = (typeof clientCrashPointNames)[number];

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const target = env.SMSYNC_CLIENT_CRASH_AT;
let skip = Number(env.SMSYNC_CLIENT_CRASH_AFTER ?? 0);

export function clientCrashPoint(name: ClientCrashPoint): void {
  if (target !== name) return;
  if (skip-- > 0) return;
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (!proc) return;
  proc.stderr.write(`smsync client: crash point ${name} reached, killing the process\n`);
  proc.kill(proc.pid, "SIGKILL");
}
