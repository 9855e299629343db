// The run's setup (@smsync/testkit's testRunSetup.ts): temporary files on
// tmpfs, and the simulator's server process bundled once; each slot of runs
// starts it, and again after each crash.
import { fileURLToPath } from "node:url";
import { testRunSetup } from "@smsync/testkit/testRunSetup";

export default testRunSetup([fileURLToPath(new URL("../../src/server/serverMain.ts", import.meta.url))]);
