// The unit tier (`*.unit.test.ts`, `npm run test:unit`) is pure logic, run in
// seconds: a unit test that connects, listens or starts a process belongs in
// the integration tier (a plain `*.test.ts`). The vitest configs of api and
// client load this as a setup file; it arms itself only in a unit
// test file, and disarms after it.
import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";

export class ImpureUnitTestError extends Error {
  override name = "ImpureUnitTestError";
}

type Patchable = Record<string, unknown>;
const guarded: [owner: Patchable, method: string, what: string][] = [
  [net.Socket.prototype as unknown as Patchable, "connect", "a network connection"],
  [net.Server.prototype as unknown as Patchable, "listen", "a listening server"],
  ...(["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const).map(
    (method): [Patchable, string, string] => [childProcess as unknown as Patchable, method, "a child process"],
  ),
];
const restores: (() => void)[] = [];

beforeAll(() => {
  const file = expect.getState().testPath ?? "";
  if (!file.endsWith(".unit.test.ts")) return;
  for (const [owner, method, what] of guarded) {
    const original = owner[method];
    restores.push(() => (owner[method] = original));
    owner[method] = () => {
      throw new ImpureUnitTestError(
        `${path.basename(file)} is a unit test: ${what} belongs in the integration tier (*.test.ts)`,
      );
    };
  }
  // Named imports (`import { spawn } from "node:child_process"`) see the patch too.
  syncBuiltinESMExports();
});

afterAll(() => {
  for (const restore of restores.splice(0)) restore();
  syncBuiltinESMExports();
});
