// `npm run sim -- --seed N --runs K [...]` (see options.ts): runs K seeds
// (N, N+1, ...) on a server process per parallel slot, prints each failure
// with the command that reproduces it, its saved schedule and its trace, then
// the report. `--replay FILE` runs a saved schedule instead. Exits 1 if a run
// failed.
import { parseOptions, reproduceCommand } from "./options.ts";
import { loadRecordedRun, RecordedRunError } from "./recordedRun.ts";
import { useTmpfsForRuns } from "./workRoot.ts";

const options = parseOptions(process.argv.slice(2));
useTmpfsForRuns();
let recorded;
try {
  recorded = options.replay ? loadRecordedRun(options.replay) : undefined;
} catch (error) {
  if (!(error instanceof RecordedRunError)) throw error;
  console.error(error.message);
  process.exit(2);
}
if (recorded)
  Object.assign(options, {
    users: recorded.users,
    devices: recorded.devices,
    cloud: recorded.cloud,
    runs: 1,
    seed: recorded.seed,
  });
// Read by testkit/src/testDatabase.ts when it loads: set before the server's modules are imported.
if (options.postgres) process.env.SMSYNC_TEST_DATABASE = "postgresql";
const { simulate } = await import("./simulate.ts");
const outcome = await simulate(options, (line) => console.log(line), recorded ? [recorded] : undefined);
if (outcome.failures.length > 0) {
  console.log(`\n${outcome.failures.length} failing run(s); reproduce with:`);
  for (const failure of outcome.failures)
    console.log(
      `  ${options.replay ? `npm run sim -- --replay ${options.replay}${options.sabotage ? ` --sabotage ${options.sabotage}` : ""}` : reproduceCommand(options, failure.seed)}`,
    );
}
process.exit(outcome.failures.length > 0 ? 1 : 0);
