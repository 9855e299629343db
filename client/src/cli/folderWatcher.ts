// Watches a synced folder for changes, through @parcel/watcher (the
// system's own notifications: inotify, FSEvents, ReadDirectoryChangesW), and
// hands them over in debounced batches of relative paths, one batch at a
// time: a save that writes a temporary file, renames it and touches a
// backup is one batch, and a copy of thousands of files a few, not one
// each. The CLI's state folder is excluded where the system watches (its
// database is written all the time); paths the folder's rules ignore are
// dropped from the batches, and an edit of the rules reloads them.
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { subscribe, type Event } from "@parcel/watcher";
import { ignoreFileName, stateFolderName, type FolderIgnore } from "./folderIgnore.ts";
import { listFiles } from "./folderScan.ts";

export interface FolderWatchOptions {
  /** Quiet time after the last event before a batch is handed over (default 30 ms). */
  debounceMs?: number;
  ignore: FolderIgnore;
}

export interface FolderEvents {
  /**
   * Relative paths with "/" that changed (created, updated or deleted; a
   * directory's path when it was created or deleted). A created (or moved in)
   * folder's files are named too; a deleted folder's may not be. Names
   * `.smsyncignore` when it was edited: the rules are read again by then, and
   * the whole folder wants a rescan.
   */
  paths: Set<string>;
}

export interface FolderWatch {
  /** Stops watching: no batch is handed over after it (one being handled is not waited for). */
  close(): Promise<void>;
}

const defaultDebounceMs = 30;

/**
 * The longest a batch waits for quiet: a file written without pause (a log,
 * a long copy) must not hold back every other change for as long as it goes on.
 */
const longestWaitMs = 1000;

/** A watcher's error, said so that a person knows what to do (inotify's limits are a sysctl away). */
export function watchErrorOf(root: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/no space left on device|ENOSPC/i.test(message))
    return new Error(
      `cannot watch ${root}: the system's limit of watched folders (inotify watches) is reached; ` +
        `raise it with \`sysctl fs.inotify.max_user_watches=524288\` (and in /etc/sysctl.d/ to keep it), ` +
        `or ignore large folders in ${ignoreFileName} (${message})`,
      { cause: error },
    );
  if (/too many open files|EMFILE/i.test(message) && /inotify/i.test(message))
    return new Error(
      `cannot watch ${root}: the system's limit of inotify instances is reached; ` +
        `raise it with \`sysctl fs.inotify.max_user_instances=512\`, or stop other watchers (${message})`,
      { cause: error },
    );
  return new Error(`watching ${root} failed: ${message}`, { cause: error });
}

/**
 * Starts watching `root` (its `.smsync` state folder and ignored paths
 * excluded): calls onChanges with each debounced batch, never two at once
 * (the next batch waits until the promise onChanges returned settles,
 * accumulating meanwhile). A rejected onChanges and the watcher's errors go
 * to onError; watching goes on.
 */
export async function watchFolder(
  root: string,
  options: FolderWatchOptions,
  onChanges: (events: FolderEvents) => Promise<void>,
  onError: (error: Error) => void,
): Promise<FolderWatch> {
  const absoluteRoot = path.resolve(root);
  // Watched by its real path (inotify does not follow a link to the folder); events may name either.
  const realRoot = realPathOr(absoluteRoot);
  const relativeOf = (eventPath: string) => {
    const relative = path.relative(realRoot, eventPath);
    return isOutside(relative) ? path.relative(absoluteRoot, eventPath) : relative;
  };
  const debounceMs = options.debounceMs ?? defaultDebounceMs;
  let pending = new Set<string>();
  let firstEventAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let handing = false;
  /** New folders being listed: their batch waits for their files. */
  let crawls = 0;
  let closed = false;

  const handOver = () => {
    timer = undefined;
    if (closed || handing || crawls > 0 || pending.size === 0) return;
    const paths = pending;
    pending = new Set();
    handing = true;
    const settle = () => {
      handing = false;
      // What came meanwhile has waited long enough: it goes at the next quiet moment.
      if (pending.size > 0) schedule();
    };
    // A synchronous throw in onChanges becomes a rejection, not an escape from the watcher's callback.
    Promise.resolve()
      .then(() => onChanges({ paths }))
      .catch((error: unknown) => {
        if (!closed) onError(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(settle);
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    const waited = Date.now() - firstEventAt;
    timer = setTimeout(handOver, waited >= longestWaitMs ? 0 : Math.min(debounceMs, longestWaitMs - waited));
  };

  const accept = (events: Event[]) => {
    for (const event of events) {
      const relative = relativeOf(event.path);
      if (relative === "" || isOutside(relative)) {
        // The root itself: deleted or moved away, there is nothing left to watch.
        if (relative === "" && event.type === "delete")
          onError(new Error(`the folder ${absoluteRoot} was deleted or moved: it is no longer watched`));
        continue;
      }
      const relativePath = relative.split(path.sep).join("/");
      if (relativePath === ignoreFileName) {
        try {
          options.ignore.reload();
        } catch (error) {
          onError(
            new Error(`cannot read ${path.join(absoluteRoot, ignoreFileName)}: the rules stay as they were`, {
              cause: error,
            }),
          );
        }
        add(relativePath);
        continue;
      }
      // A created folder is listed, and a folder rule (`build/`) applies to it, not to a file of that name.
      const createdFolder = event.type === "create" && isDirectory(path.join(realRoot, relative));
      if (options.ignore.ignores(relativePath, createdFolder)) continue;
      add(relativePath);
      if (createdFolder) listCreated(relativePath);
    }
    if (!handing && pending.size > 0) schedule();
  };

  const add = (relativePath: string) => {
    if (pending.size === 0) firstEventAt = Date.now();
    pending.add(relativePath);
  };

  // Files written into a new folder before the system watched it have no events of their own (inotify
  // watches a new folder once told of it): they are listed, so that the batch names them all.
  const listCreated = (relativeDir: string) => {
    crawls++;
    listFiles(realRoot, options.ignore, relativeDir)
      .then((files) => files.forEach(add))
      // Gone already: its deletion comes as an event of its own.
      .catch(() => undefined)
      .finally(() => {
        crawls--;
        if (!handing && pending.size > 0) schedule();
      });
  };

  let subscription;
  try {
    subscription = await subscribe(
      realRoot,
      (error, events) => {
        if (closed) return;
        if (error) onError(watchErrorOf(absoluteRoot, error));
        else accept(events);
      },
      { ignore: [stateFolderName] },
    );
  } catch (error) {
    throw watchErrorOf(absoluteRoot, error);
  }
  return {
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      await subscription.unsubscribe();
    },
  };
}

/** The real path of `fullPath`, or `fullPath` when it has none (then subscribing says why). */
function realPathOr(fullPath: string): string {
  try {
    return realpathSync(fullPath);
  } catch {
    return fullPath;
  }
}

function isOutside(relativePath: string): boolean {
  return relativePath === ".." || relativePath.startsWith(`..${path.sep}`) || path.isAbsolute(relativePath);
}

function isDirectory(fullPath: string): boolean {
  try {
    return statSync(fullPath).isDirectory();
  } catch {
    // Gone already: whatever it was, its deletion follows in a batch of its own.
    return false;
  }
}
