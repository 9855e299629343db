// One cutting proxy for a test file, in front of its server: started before
// its first test (after the server's own beforeAll), closed after its last
// (before the server). Call it in the test file itself, after the server's
// use…() call, as useTestServer.
import { afterAll, beforeAll } from "vitest";
import { type CuttingProxy, startCuttingProxy } from "./cuttingProxy.ts";

/**
 * The file's proxy to `server`, usable from its tests and hooks on: the
 * handle forwards to the proxy started in beforeAll (a test may set its
 * transform), and throws if used before.
 */
export function useCuttingProxy(server: { readonly url: string }): CuttingProxy {
  let started: CuttingProxy | undefined;
  beforeAll(async () => {
    started = await startCuttingProxy(new URL(server.url).port);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): CuttingProxy => {
    if (!started) throw new Error("the cutting proxy starts before the file's tests: use it inside them");
    return started;
  };
  return new Proxy({} as CuttingProxy, {
    get(_target, property) {
      const member: unknown = Reflect.get(current(), property);
      return typeof member === "function" ? (member as (...args: unknown[]) => unknown).bind(current()) : member;
    },
    set: (_target, property, value) => Reflect.set(current(), property, value),
  });
}
