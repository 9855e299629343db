// The SDK's events, turned into what the page shows: the mode (and an error
// mode's code), each batch's progress in bytes and files, how live mode
// hears of changes, and what other devices changed.
import { isErrorMode, type BrowserSmsyncClient } from "@smsync/client/browser";
import type { Store } from "../state.ts";

/** What an error without a message means, by its name: Chromium's IndexedDB says nothing when the disk is full. */
const fallbackMessages: Record<string, string> = {
  QuotaExceededError: "this device has no room left for the app's data",
};

export function followClient(client: BrowserSmsyncClient, store: Store, refresh: () => void): void {
  client.on("modeChanged", ({ mode, error }) => {
    // The SDK's errors have a code; an app callback's own error (a DOMException of IndexedDB) its name.
    const code = error && "code" in error && typeof error.code === "string" ? error.code : error?.name;
    store.update({
      mode,
      modeError:
        isErrorMode(mode) && error
          ? { code: code ?? "UNKNOWN", message: error.message || (fallbackMessages[error.name] ?? "") }
          : null,
      // A finished pass, or one stopped by an error, leaves nothing in flight.
      ...(mode === "idle" || isErrorMode(mode) ? { progress: null } : {}),
    });
    refresh();
  });
  client.on("batchProgress", (progress) => store.update({ progress }));
  client.on("allUploadsComplete", refresh);
  client.on("downloadsFinished", refresh);
  client.on("deletionsApplied", refresh);
  client.on("liveConnection", ({ state, error }) =>
    store.update({ live: state, liveError: state === "stopped" && error ? error.message : null }),
  );
  client.on("remoteChange", ({ files }) => {
    const what = files.length === 1 ? "1 file" : `${files.length} files`;
    store.update({
      arrivals: [
        { id: Date.now() + Math.random(), text: `Another device changed ${what}`, at: new Date() },
        ...store.state.arrivals,
      ].slice(0, 50),
    });
  });
}
