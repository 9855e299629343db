// Waiting in a test for something that tells listeners when it changes (a
// subscription's results, a socket's messages, a count): the check runs now
// and at each change until it settles; a generous hang guard fails the test
// with what was seen instead of hanging it.

/**
 * Resolves once check returns true, rejects with the Error it returns
 * instead, or with timeoutError() after timeoutMs; false: keep waiting.
 */
export function waitForChange(
  listeners: Set<() => void>,
  check: () => boolean | Error,
  timeoutError: () => Error,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const run = () => {
      const outcome = check();
      if (outcome === false) return;
      done();
      if (outcome === true) resolve();
      else reject(outcome);
    };
    const timer = setTimeout(() => {
      done();
      reject(timeoutError());
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      listeners.delete(run);
    };
    listeners.add(run);
    run();
  });
}
