// How long `smsync sync` keeps retrying a server it cannot reach. The SDK
// retries for ever (an app's device comes back online); a command run by a
// person or a script must end and say so. The clock starts when the client
// enters networkNotConnected and stops when it leaves it.
import type { ClientEvents } from "../ClientBase.ts";
import type { Mode } from "../modes.ts";

interface ModeSource {
  readonly mode: Mode;
  on(event: "modeChanged", listener: (payload: ClientEvents["modeChanged"]) => void): () => void;
}

/** How long `smsync sync` keeps retrying by default (SyncFolderOptions.giveUpAfterMs, --give-up-after). */
export const defaultGiveUpAfterMs = 30_000;

export interface UnreachableWatch {
  /** Resolves, with the last network error, once the client has been unreachable for the whole window. */
  readonly gaveUp: Promise<Error | undefined>;
  /** The network error that put the client in networkNotConnected last. */
  readonly lastError: Error | undefined;
  stop(): void;
}

export function watchUnreachable(client: ModeSource, giveUpAfterMs: number): UnreachableWatch {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastError: Error | undefined;
  let giveUp!: (error: Error | undefined) => void;
  const gaveUp = new Promise<Error | undefined>((resolve) => (giveUp = resolve));
  const stopClock = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const off = client.on("modeChanged", ({ mode, error }) => {
    if (mode !== "networkNotConnected") return stopClock();
    lastError = error ?? lastError;
    timer ??= setTimeout(() => giveUp(lastError), giveUpAfterMs);
  });
  return {
    gaveUp,
    get lastError() {
      return lastError;
    },
    stop() {
      off();
      stopClock();
    },
  };
}
