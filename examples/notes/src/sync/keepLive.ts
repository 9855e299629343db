// Live mode (client.startLive): the SDK follows the server's
// fileIndexChanged subscription and syncs by itself. startLive rejects while
// the server cannot be reached (it reads the device and the event position
// first), so it is tried again when the network comes back, and every
// retryMs until then.
import type { BrowserSmsyncClient } from "@smsync/client/browser";

export function keepLive(client: BrowserSmsyncClient, failed: (error: unknown) => void, retryMs = 5_000): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const attempt = () => {
    clearTimeout(timer);
    if (stopped || client.live) return;
    client.startLive().catch((error: unknown) => {
      failed(error);
      timer = setTimeout(attempt, retryMs);
    });
  };
  window.addEventListener("online", attempt);
  attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener("online", attempt);
  };
}
