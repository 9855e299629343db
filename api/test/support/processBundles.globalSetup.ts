// Bundles the server once for the run (@smsync/testkit's processBundles.ts):
// the crash tests start it as a process dozens of times.
import { fileURLToPath } from "node:url";
import { processBundlesSetup } from "@smsync/testkit/processBundles";

export default processBundlesSetup([fileURLToPath(new URL("../../src/main.ts", import.meta.url))]);
