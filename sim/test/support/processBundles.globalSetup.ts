// Bundles the simulator's server process once for the run (@smsync/testkit's
// processBundles.ts): each slot of runs starts it, and again after each crash.
import { fileURLToPath } from "node:url";
import { processBundlesSetup } from "@smsync/testkit/processBundles";

export default processBundlesSetup([fileURLToPath(new URL("../../src/server/serverMain.ts", import.meta.url))]);
