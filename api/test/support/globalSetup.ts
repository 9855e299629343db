// The run's setup (@smsync/testkit's testRunSetup.ts): temporary files on
// tmpfs, and the server bundled once, which the crash tests start as a
// process dozens of times.
import { fileURLToPath } from "node:url";
import { testRunSetup } from "@smsync/testkit/testRunSetup";

export default testRunSetup([fileURLToPath(new URL("../../src/main.ts", import.meta.url))]);
