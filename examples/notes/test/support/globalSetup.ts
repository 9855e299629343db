// The run's setup: the app built once (vite build into dist/, as `npm run
// demo` serves it), and @smsync/testkit's testRunSetup: temporary files on
// tmpfs, and the server process (ProcessServer) started from a bundle.
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "vite";
import { testRunSetup } from "@smsync/testkit/testRunSetup";

const apiDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve("@smsync/api")), "..");
const processes = testRunSetup([path.join(apiDir, "src/main.ts")]);

export default async function setup(context: Parameters<typeof processes>[0]): Promise<() => void> {
  await build({ root: path.resolve(import.meta.dirname, "../.."), logLevel: "warn" });
  return processes(context);
}
