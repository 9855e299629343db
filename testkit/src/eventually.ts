// Waiting in a test for something the server does on its own (a worker's
// retry, a wait that ends): polls until the check holds, bounded, so a bug
// fails the test with what was last seen instead of hanging it.
import { setTimeout as sleep } from "node:timers/promises";

/** Polls read() until check holds (within timeoutMs); returns its last value. */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await sleep(50);
  }
}
