// Waiting in a test for a condition that nothing announces (files handed
// over by a watcher, a device's saves): checked every 20 ms, with a hang
// guard that fails the test saying what it waited for.

/** Resolves once `ready()` holds, checking every 20 ms; fails after `timeoutMs`. */
export async function until(ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
