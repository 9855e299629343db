// One fsync of a directory for many new names in it: the callers that ask
// for a directory's fsync while one is already running wait for it to end
// and then share the next one (group commit). A caller's names are durable
// once an fsync that began after they were made has returned, so the fsync
// in flight when it asks is never enough; the one after it is.
import { syncPath } from "./durableFiles.ts";

interface DirectorySync {
  /** The fsync under way, if any. */
  running: Promise<void> | null;
  /** The fsync that starts once the running one ends, shared by everyone who asked meanwhile. */
  next: Promise<void> | null;
}

const directories = new Map<string, DirectorySync>();

/**
 * fsyncs `dir` so that every name made in it before the call is durable, sharing the fsync with concurrent callers.
 * (`sync`: how a directory is fsynced; a test observes the calls.)
 */
export function syncDirectoryShared(dir: string, sync: (dir: string) => Promise<void> = syncPath): Promise<void> {
  let state = directories.get(dir);
  if (!state) {
    state = { running: null, next: null };
    directories.set(dir, state);
  }
  if (state.next) return state.next;
  const current = state;
  const start = (): Promise<void> => {
    current.next = null;
    const running = sync(dir).finally(() => {
      current.running = null;
      if (!current.next) directories.delete(dir);
    });
    current.running = running;
    return running;
  };
  if (!current.running) return start();
  // The running fsync may have begun before this caller's names were made: wait for it, whatever its outcome.
  current.next = current.running.then(start, start);
  return current.next;
}
