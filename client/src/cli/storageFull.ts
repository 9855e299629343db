// `smsync sync` when there is no room for a transfer: the account's cloud
// storage is full (the server's transfer waits, and finishes by itself once
// the person frees space), or the server's staging area is full (an upload
// keeps its bytes and resumes on the next sync; a download waits on the
// server). Waiting silently would look
// like a hang; the sync stops at once and says why, with its own exit code
// (exitCodes.storageFull). A rate limit only slows the sync down: it waits.
import type { SmsyncClient } from "../SmsyncClient.ts";
import type { TransferWaitingEvent } from "../engine/transferWaits.ts";

export class StorageFullError extends Error {
  override name = "StorageFullError";

  constructor(
    readonly code: "CLOUD_STORAGE_FULL" | "STAGING_FULL",
    message: string,
  ) {
    super(message);
  }
}

function explain(event: TransferWaitingEvent): StorageFullError | null {
  switch (event.code) {
    case "CLOUD_STORAGE_FULL":
      return new StorageFullError(
        event.code,
        `the account's cloud storage is full: free space in it or add storage. Nothing is lost: the server keeps the ` +
          `${event.direction} and finishes it by itself once there is room; run smsync sync again to see it done (${event.message})`,
      );
    case "STAGING_FULL":
      return new StorageFullError(
        event.code,
        `the server's staging area is full. Nothing is lost: the ${event.direction} resumes where it stopped once the server ` +
          `has room; run smsync sync again then (${event.message})`,
      );
    default:
      return null;
  }
}

/**
 * Suspends the client at the first transfer that waits for room, so that its
 * sync() returns at once; `check()` after a sync throws what stopped it.
 * `say` reports the waits that do not stop the sync (rate limits).
 */
export function stopWhenStorageFull(client: Pick<SmsyncClient, "on" | "suspend">, say: (line: string) => void) {
  let stoppedBy: StorageFullError | null = null;
  const unsubscribe = client.on("transferWaiting", (event) => {
    const error = explain(event);
    if (!error) {
      say(`the cloud asks the server to slow down (${event.code}); the ${event.direction} waits and goes on by itself`);
      return;
    }
    if (stoppedBy) return;
    stoppedBy = error;
    void client.suspend();
  });
  return {
    check(): void {
      if (stoppedBy) throw stoppedBy;
    },
    dispose: unsubscribe,
  };
}
