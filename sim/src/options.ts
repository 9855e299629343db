// The simulator's command line: `--seed N --runs K [--users U --devices D
// --steps S] [--no-faults] [--postgres] [--cloud local|google-drive]
// [--memory-store] [--parallel P] [--no-shrink] [--verbose] [--quiet] [--sabotage [N]]
// [--replay FILE] [--save-failures DIR]`.
import { defaultSabotage, parseSabotage, type Sabotage } from "./sabotage.ts";

export interface SimOptions {
  seed: number;
  runs: number;
  users: number;
  devices: number;
  steps: number;
  faults: boolean;
  postgres: boolean;
  cloud: "local" | "google-drive";
  /** Devices keep their queues in SqliteStore files (relaunch reopens them) instead of MemoryStores. */
  sqliteStore: boolean;
  /** Print every run's trace, not only failing ones. */
  verbose: boolean;
  /** Look for a shorter failing schedule when a run fails. */
  shrink: boolean;
  /** A deliberate defect that breaks invariant N (sabotage.ts), to show its check can fail: the run must fail. */
  sabotage?: Sabotage;
  /** A line per run as it ends. */
  progress: boolean;
  /** Runs at once, each slot on its own server process (each run with its own users). */
  parallel: number;
  /** Where a failing run's schedule is saved (seed-N.json), to replay with --replay. */
  failuresDir: string;
  /** A recorded schedule to replay (recordedRun.ts) instead of seeds. */
  replay?: string;
}

export const defaultOptions: SimOptions = {
  seed: 1,
  runs: 1,
  users: 2,
  devices: 2,
  steps: 20,
  faults: true,
  postgres: false,
  cloud: "local",
  sqliteStore: true,
  verbose: false,
  shrink: true,
  parallel: 4,
  progress: true,
  failuresDir: "sim-failures",
};

export function parseOptions(argv: string[]): SimOptions {
  const options = { ...defaultOptions };
  const number = (name: string, value: string | undefined) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} wants a whole number, not ${value}`);
    return parsed;
  };
  /** The value after a flag. */
  const text = (name: string, value: string | undefined) => {
    if (value === undefined) throw new Error(`--${name} wants a value`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case "--seed":
        options.seed = number("seed", argv[++i]);
        break;
      case "--runs":
        options.runs = number("runs", argv[++i]);
        break;
      case "--users":
        options.users = number("users", argv[++i]);
        break;
      case "--devices":
        options.devices = number("devices", argv[++i]);
        break;
      case "--steps":
        options.steps = number("steps", argv[++i]);
        break;
      case "--no-faults":
        options.faults = false;
        break;
      case "--postgres":
        options.postgres = true;
        break;
      case "--memory-store":
        options.sqliteStore = false;
        break;
      case "--verbose":
        options.verbose = true;
        break;
      case "--quiet":
        options.progress = false;
        break;
      case "--sabotage":
        options.sabotage = /^\d+$/.test(argv[i + 1] ?? "")
          ? parseSabotage(text("sabotage", argv[++i]))
          : defaultSabotage;
        break;
      case "--no-shrink":
        options.shrink = false;
        break;
      case "--replay":
        options.replay = text("replay", argv[++i]);
        break;
      case "--save-failures":
        options.failuresDir = text("save-failures", argv[++i]);
        break;
      case "--parallel":
        options.parallel = Math.max(1, number("parallel", argv[++i]));
        break;
      case "--cloud": {
        const cloud = argv[++i];
        if (cloud !== "local" && cloud !== "google-drive")
          throw new Error(`--cloud is local or google-drive, not ${cloud}`);
        options.cloud = cloud;
        break;
      }
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return options;
}

/** The command that reproduces one run (its seed is the run's own). */
export function reproduceCommand(options: SimOptions, seed: number, steps = options.steps): string {
  const parts = [
    "npm run sim --",
    `--seed ${seed}`,
    "--runs 1",
    `--users ${options.users}`,
    `--devices ${options.devices}`,
    `--steps ${steps}`,
  ];
  if (!options.faults) parts.push("--no-faults");
  if (options.postgres) parts.push("--postgres");
  if (options.cloud !== "local") parts.push(`--cloud ${options.cloud}`);
  if (!options.sqliteStore) parts.push("--memory-store");
  if (options.sabotage) parts.push(`--sabotage ${options.sabotage}`);
  return parts.join(" ");
}
