// vitest's globalSetup: the app as `npm run demo` serves it, built once per run.
import path from "node:path";
import { build } from "vite";

export default async function buildApp(): Promise<void> {
  await build({ root: path.resolve(import.meta.dirname, "../.."), logLevel: "warn" });
}
