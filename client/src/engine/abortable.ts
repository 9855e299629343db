// Waits that end when the engine is suspended or closed, while what they
// waited for goes on (an outbox request stays queued and is answered later).
import { abortReason } from "../errors.ts";

/** The promise, or a rejection with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody will await it: observe its rejection (OUTBOX_CLOSED at close), or it crashes the app as unhandled.
    // Its outcome is dropped as it is below once the signal has aborted: the
    // caller has given up on it, and the outbox still sends what it queued.
    promise.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    const settled = () => signal.removeEventListener("abort", onAbort);
    promise.then(settled, settled);
    promise.then(resolve, reject);
  });
}
