// `smsync watch DIR`: a folder kept in two-way sync until the command is
// stopped. Two sources wake it:
//   - the folder's file-system watcher (folderWatcher.ts): a debounced batch
//     of changed paths starts a scan, which queues and commits what changed
//     as one batch (FolderSync.scanAndQueue); the SDK's live mode then runs
//     the pass that uploads it;
//   - the SDK's live mode (client.startLive): another device's commit, heard
//     through the fileIndexChanged subscription (polled while it is down),
//     runs a pass that writes its files into the folder.
// A change is taken once it has settled (settling.ts).
//
// Stopping (SIGINT, SIGTERM: `signal`) closes the watcher and live mode, then
// suspends the client: a transfer in flight is abandoned with its resume
// state stored, and whatever was queued stays queued for the next start. A
// kill -9 loses nothing either: the queue is in the folder's store, and the
// first scan of the next start finds what changed meanwhile.
import type { Mode } from "../modes.ts";
import { isErrorMode } from "../modes.ts";
import type { FolderActivity } from "./folderActivity.ts";
import { FolderSync, type FolderSyncOptions } from "./FolderSync.ts";
import { watchFolder, type FolderWatch } from "./folderWatcher.ts";
import { ChangeSettling, defaultSettleMs } from "./settling.ts";
import type { SyncSummary } from "./syncSummary.ts";

export interface LiveFolderOptions extends FolderSyncOptions {
  /** How long a change must be left alone before it is taken (default 100 ms). */
  settleMs?: number;
  /** Ends the watch (the command's SIGINT and SIGTERM). */
  signal: AbortSignal;
  /** What the watch itself went through: ready (first scan done, live), the client's modes, the watcher's errors. */
  onStatus?: (status: LiveFolderStatus) => void;
}

export type LiveFolderStatus =
  | { type: "ready"; queued: number }
  | { type: "mode"; mode: Mode; error?: Error }
  | { type: "connection"; state: "subscribed" | "polling" | "stopped"; error?: Error }
  | { type: "watcherError"; error: Error }
  | { type: "scanError"; error: Error };

export type { FolderActivity };

/**
 * Why the watch stopped by itself: the client entered an error mode (`smsync
 * reset DIR` leaves it), or live mode stopped for good (the server refused
 * the token).
 */
export class LiveFolderError extends Error {
  override name = "LiveFolderError";

  constructor(
    readonly mode: Mode,
    what: string,
    options: { cause?: Error },
  ) {
    super(`${what}${options.cause ? ` (${options.cause.message})` : ""}`, options);
  }
}

export async function keepFolderInSync(options: LiveFolderOptions): Promise<SyncSummary> {
  const startedAt = performance.now();
  const settleMs = options.settleMs ?? defaultSettleMs;
  const folder = await FolderSync.open(options);
  const client = folder.smsync;
  const report = options.onStatus ?? (() => {});
  let failed: LiveFolderError | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  if (options.signal.aborted) stop();
  options.signal.addEventListener("abort", () => stop(), { once: true });

  const offMode = client.on("modeChanged", ({ mode, error }) => {
    if (mode === "synchronizing") folder.summary.passes++;
    report({ type: "mode", mode, ...(error ? { error } : {}) });
    if (isErrorMode(mode)) {
      const what = `the client entered ${mode}: run smsync reset DIR, then watch again`;
      failed ??= new LiveFolderError(mode, what, error ? { cause: error } : {});
      stop();
    }
  });
  const offConnection = client.on("liveConnection", ({ state, error }) => {
    report({ type: "connection", state, ...(error ? { error } : {}) });
    // Live mode stops by itself only for good (the token refused): the folder would no longer be kept in sync.
    if (state === "stopped" && error) {
      failed ??= new LiveFolderError(client.mode, "the server no longer tells this device of changes", {
        cause: error,
      });
      stop();
    }
  });

  const settling = new ChangeSettling(settleMs);
  let rescan: ReturnType<typeof setTimeout> | undefined;
  let closing = false;
  /** The scan running, if any: the watch closes the client only after it. */
  let scanning: Promise<unknown> = Promise.resolve();
  const scanLater = (delayMs: number) => {
    if (rescan !== undefined || closing) return;
    rescan = setTimeout(() => {
      rescan = undefined;
      void scan().catch(scanFailed);
    }, delayMs);
  };
  let failedScans = 0;
  const scan = async () => {
    if (closing) return { queued: 0, unsettled: 0, settledInMs: 0 };
    const running = folder.scanAndQueue({ settling });
    scanning = running.catch(() => undefined);
    const round = await running;
    failedScans = 0;
    // Again when the last of what was left for later has settled: all of it in one batch, one pass.
    if (round.unsettled > 0) scanLater(round.settledInMs + 1);
    return round;
  };
  // A scan that fails (a disk error, a file the system will not let it read) is told, and tried again later,
  // a second after the first failure, up to half a minute after many: the watch does not end over it.
  const scanFailed = (error: unknown) => {
    failedScans++;
    report({ type: "scanError", error: error as Error });
    scanLater(Math.min(30_000, 1000 * 2 ** Math.min(failedScans - 1, 5)));
  };

  let watcher: FolderWatch | undefined;
  try {
    // The watcher starts before the first scan: a change made during the scan is not missed.
    watcher = await watchFolder(
      folder.root,
      { ignore: folder.ignore },
      // A batch of events only says that something changed: the scan finds what.
      async () => {
        await scan().catch(scanFailed);
      },
      (error) => report({ type: "watcherError", error }),
    );
    const first = await scan();
    // Live mode's first pass uploads what the scan queued and brings down what changed elsewhere.
    // A short debounce: local changes come already gathered by the watcher's batches and the settle time.
    await client.startLive({ debounceMs: 10 });
    report({ type: "ready", queued: first.queued });
    await stopped;
  } finally {
    closing = true;
    clearTimeout(rescan);
    offMode();
    offConnection();
    await watcher?.close();
    await scanning;
    await client.stopLive();
    await client.suspend();
    await folder.close();
  }
  folder.summary.seconds = Math.round(performance.now() - startedAt) / 1000;
  if (failed) throw failed;
  return folder.summary;
}
