// Runs a budget of seeds (shared by the command line and the CI test), in
// `parallel` slots, each slot with its own server process (so that a server
// crash strikes only its own run), and sums what they exercised. With the
// google-drive cloud, one fake Drive here serves every slot's server.
import type { SimOptions } from "./options.ts";
import { reproduceCommand } from "./options.ts";
import { RecordedRunError, saveRecordedRun, type RecordedRun } from "./recordedRun.ts";
import { emptyTotals, formatReport, type Totals } from "./report.ts";
import { describeStep } from "./schedule.ts";
import { runSimulation, type RunResult } from "./runSimulation.ts";
import { shrink } from "./shrink.ts";
import { FakeGoogleDrive } from "@smsync/testkit/fakeGoogleDrive";
import { accountOfSimDriveToken } from "./server/driveTokens.ts";
import { SimServer } from "./simServer.ts";

export interface SimOutcome {
  totals: Totals;
  failures: RunResult[];
  /** The pids of each slot's server processes, in start order (a crash adds one). */
  serverPids: number[][];
  /** Requests the fake Drive answered with an injected fault. */
  driveFaultsStruck: number;
}

/** A run: a seed (its schedule drawn from it), or a recorded schedule replayed (its cloud must be the options'). */
export type RunCase = number | RecordedRun;

export async function simulate(
  options: SimOptions,
  print: (line: string) => void,
  runs?: RunCase[],
): Promise<SimOutcome> {
  const started = Date.now();
  const cases = runs ?? Array.from({ length: options.runs }, (_, i) => options.seed + i);
  const seedList = cases.map((run) => (typeof run === "number" ? run : run.seed));
  const otherCloud = cases.find((run) => typeof run !== "number" && run.cloud !== options.cloud);
  if (otherCloud)
    throw new RecordedRunError(
      `the recorded run of seed ${(otherCloud as RecordedRun).seed} ran on the ${(otherCloud as RecordedRun).cloud} cloud, not ${options.cloud}`,
    );
  const drive =
    options.cloud === "google-drive"
      ? await FakeGoogleDrive.start({ accountOfToken: accountOfSimDriveToken })
      : undefined;
  const slots = Math.max(1, Math.min(options.parallel, seedList.length));
  const servers = await Promise.all(Array.from({ length: slots }, () => SimServer.start(options.cloud, drive)));
  const [shrinkServer] = servers; // slots >= 1
  if (!shrinkServer) throw new Error("no simulation server started");
  const totals = emptyTotals();
  const failures: RunResult[] = [];
  const shape = {
    users: options.users,
    devices: options.devices,
    steps: options.steps,
    faults: options.faults,
    cloud: options.cloud,
    sqliteStore: options.sqliteStore,
    sabotage: options.sabotage,
  };
  // A promise the client leaves rejected with nobody listening would crash an app under Node's default: a violation of every run in flight then.
  const inFlight = new Set<number>();
  const unhandled = new Map<number, string[]>();
  const onUnhandled = (reason: unknown) => {
    for (const seed of inFlight)
      unhandled.set(seed, [...(unhandled.get(seed) ?? []), (reason as Error)?.stack ?? String(reason)]);
  };
  process.on("unhandledRejection", onUnhandled);
  try {
    // Runs are independent (fresh users), so several go at once, a slot's one after another on its server: most of a run is waiting on the network.
    const results: RunResult[] = [];
    const queue = cases.values(); // shared by the slots: each case is taken once
    await Promise.all(
      servers.map(async (server) => {
        for (let taken = queue.next(); !taken.done; taken = queue.next()) {
          const run = taken.value;
          const seed = typeof run === "number" ? run : run.seed;
          inFlight.add(seed);
          const runStarted = Date.now();
          const result =
            typeof run === "number"
              ? await runSimulation(server, seed, shape)
              : await runSimulation(server, seed, { ...shape, users: run.users, devices: run.devices }, run.steps);
          inFlight.delete(seed);
          if (options.progress)
            print(
              `seed ${seed}: ${result.violations.length === 0 ? "ok" : "FAILED"} (${result.operations} steps, ${((Date.now() - runStarted) / 1000).toFixed(1)} s)`,
            );
          for (const stack of unhandled.get(seed) ?? [])
            result.violations.push({
              invariant: 5,
              message: `unhandled rejection (with ${options.parallel} runs at once, maybe another run's): ${stack}`,
            });
          results.push(result);
        }
      }),
    );
    results.sort((a, b) => seedList.indexOf(a.seed) - seedList.indexOf(b.seed));
    for (const result of results) {
      const { seed } = result;
      add(totals, result);
      if (options.verbose) print(`--- seed ${seed} trace:\n${result.trace.toString()}`);
      if (result.violations.length === 0) continue;
      totals.failed++;
      failures.push(result);
      const recorded = saveRecordedRun(options.failuresDir, {
        seed,
        users: result.shape.users,
        devices: result.shape.devices,
        cloud: options.cloud,
        steps: result.steps,
      });
      print(`\nFAILED seed ${seed}: ${reproduceCommand(options, seed)}`);
      print(`  its schedule: ${recorded} (replay: npm run sim -- --replay ${recorded})`);
      for (const violation of result.violations) print(`  invariant ${violation.invariant}: ${violation.message}`);
      print(`trace:\n${result.trace.toString()}`);
      if (options.shrink) {
        const { best: shorter, attempts } = await shrink(shrinkServer, seed, shape, result);
        if (shorter.steps.length < result.steps.length) {
          print(
            `shrunk in ${attempts} runs to ${shorter.steps.length} of ${result.steps.length} steps (violations: ${shorter.violations.map((v) => `#${v.invariant}`).join(" ")}):`,
          );
          for (const [i, step] of shorter.steps.entries()) print(`  #${i} ${describeStep(step)}`);
          print(`shrunk trace:\n${shorter.trace.toString()}`);
        }
      }
    }
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await Promise.all(servers.map((server) => server.close()));
    await drive?.close();
  }
  totals.seconds = (Date.now() - started) / 1000;
  print(`\n${formatReport(totals)}`);
  const driveFaultsStruck = drive?.log.filter((entry) => entry.fault).length ?? 0;
  if (drive) print(`fake Drive: ${driveFaultsStruck} of ${drive.log.length} requests answered with an injected fault`);
  return { totals, failures, serverPids: servers.map((server) => [...server.serverProcess.pids]), driveFaultsStruck };
}

function add(totals: Totals, result: RunResult): void {
  totals.runs++;
  totals.devices += result.devices;
  totals.operations += result.operations;
  for (const key of Object.keys(result.faults) as (keyof typeof result.faults)[])
    totals.faults[key] += result.faults[key];
  for (const n of [1, 2, 3, 4, 5, 6] as const) totals.checks[n] += result.checks[n];
  totals.uploadsConfirmed += result.uploadsConfirmed;
  totals.downloadsSaved += result.downloadsSaved;
  totals.deletionsApplied += result.deletionsApplied;
  totals.conflicts += result.conflicts;
}
