// What the tests of the built package (dist/, `npm run build`) share: where the
// client is, and a clear failure when its build is missing (turbo's test task
// builds first; a vitest run by hand needs `npm run build` once).
import { existsSync } from "node:fs";
import path from "node:path";

export const clientDir = path.resolve(import.meta.dirname, "../..");

export function requireBuild(): void {
  if (!existsSync(path.join(clientDir, "dist/cli/main.js")))
    throw new Error("client/dist is missing: run `npm run build` at the root (turbo run test builds first)");
}
