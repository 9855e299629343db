// `npm run sim -- --seed N --runs K [...]` (see options.ts): runs K seeds
// (N, N+1, ...) against one server, prints each failure with the command that
// reproduces it and its trace, then the report. Exits 1 if a run failed.
import { parseOptions, reproduceCommand } from "./options.ts";
import { useTmpfsForRuns } from "./workRoot.ts";

const options = parseOptions(process.argv.slice(2));
useTmpfsForRuns();
// Read by api/test/support/testDatabase.ts when it loads: set before the server's modules are imported.
if (options.postgres) process.env.SMSYNC_TEST_DATABASE = "postgresql";
const { simulate } = await import("./simulate.ts");
const outcome = await simulate(options, (line) => console.log(line));
if (outcome.failures.length > 0) {
  console.log(`\n${outcome.failures.length} failing run(s); reproduce with:`);
  for (const failure of outcome.failures) console.log(`  ${reproduceCommand(options, failure.seed)}`);
}
process.exit(outcome.failures.length > 0 ? 1 : 0);
