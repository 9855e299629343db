// What the tests of the built package (dist/, `npm run build`: tsc's output
// and the CLI bundled from it) share: where the client is, and a clear
// failure when its build is missing (turbo's test task builds first; a
// vitest run by hand needs `npm run build` once).
import { existsSync } from "node:fs";
import path from "node:path";

export const clientDir = path.resolve(import.meta.dirname, "../..");

export function requireBuild(): void {
  if (!["dist/cli/bundledCli.js", "dist/smsync-cli/main.cjs"].every((file) => existsSync(path.join(clientDir, file))))
    throw new Error("client/dist is missing: run `npm run build` at the root (turbo run test builds first)");
}
