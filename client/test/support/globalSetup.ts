// The run's setup (@smsync/testkit's testRunSetup.ts): temporary files on
// tmpfs, and bundled once what the tests start as processes again and again:
// the CLI's bin, the app process of the crash tests and the server of the
// server-restart tests.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { testRunSetup } from "@smsync/testkit/testRunSetup";

const apiDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve("@smsync/api")), "..");

export default testRunSetup([
  fileURLToPath(new URL("../../bin/smsync.js", import.meta.url)),
  fileURLToPath(new URL("../engine/fixtures/clientProcess.ts", import.meta.url)),
  path.join(apiDir, "src/main.ts"),
]);
