// One test server for a test file: started before its first test, closed
// after its last. Call it in the test file itself (vitest keeps modules
// between files, so a module's top-level hooks would register once).
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer } from "./testServer.ts";

/**
 * The file's server, usable from its tests and hooks on: the handle forwards
 * to the server started in beforeAll, and throws if used before.
 */
export function useTestServer(overrides: Record<string, string> = {}): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(overrides);
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as TestServer, {
    get(_target, property) {
      if (!started) throw new Error("the test server starts in beforeAll: use it in a test or a hook");
      const value: unknown = Reflect.get(started, property);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(started) : value;
    },
  });
}
