// Bundles once for the run what the tests start as processes again and again
// (@smsync/testkit's processBundles.ts): the CLI's bin, the app process of
// the crash tests and the server of the server-restart tests.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { processBundlesSetup } from "@smsync/testkit/processBundles";

const apiDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve("@smsync/api")), "..");

export default processBundlesSetup([
  fileURLToPath(new URL("../../bin/smsync.js", import.meta.url)),
  fileURLToPath(new URL("../engine/fixtures/clientProcess.ts", import.meta.url)),
  path.join(apiDir, "src/main.ts"),
]);
