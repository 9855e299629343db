// A wait between retries of a transfer that an abort (suspend) ends at once.
import { abortReason } from "../errors.ts";

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. `what` names the transfer. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal, what));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!, what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
