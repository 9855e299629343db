// The browser's signals, turned into the client's lifecycle calls: the
// window's online/offline events into setOnline, the page being hidden
// (another tab, a minimized window, a phone's app switcher) into suspend()
// and shown again into resume().

/** What the lifecycle handling drives. */
export interface LifecycleTarget {
  setOnline(online: boolean): void;
  suspend(): Promise<void>;
  resume(): Promise<void>;
}

/** Attaches the listeners; returns the function that detaches them. */
export function attachBrowserLifecycle(client: LifecycleTarget, target: Window = window): () => void {
  const onOnline = () => client.setOnline(true);
  const onOffline = () => client.setOnline(false);
  const onVisibility = () => {
    // A failure (closed, error mode) is already the client's mode: nothing to add here.
    const change = target.document.visibilityState === "hidden" ? client.suspend() : client.resume();
    change.catch(() => undefined);
  };
  target.addEventListener("online", onOnline);
  target.addEventListener("offline", onOffline);
  target.document.addEventListener("visibilitychange", onVisibility);
  return () => {
    target.removeEventListener("online", onOnline);
    target.removeEventListener("offline", onOffline);
    target.document.removeEventListener("visibilitychange", onVisibility);
  };
}
