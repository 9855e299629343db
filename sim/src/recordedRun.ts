// A run's schedule written down (JSON): its seed, its shape and its steps.
// A seed alone names a schedule only as long as drawSchedule draws the same
// steps from it; a new step kind or weight draws others. So a failing run is
// saved as a file, and the regression runs of the CI test
// (sim/test/regressions/) replay the steps that found each bug, whatever the
// generator draws today. `npm run sim -- --replay FILE` runs one.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Step } from "./schedule.ts";

export interface RecordedRun {
  seed: number;
  users: number;
  devices: number;
  cloud: "local" | "google-drive";
  steps: Step[];
  /** What the run found, and where it was fixed (regression files). */
  note?: string;
}

const stepKinds = new Set<Step["kind"]>([
  "write",
  "writeMany",
  "delete",
  "commit",
  "sync",
  "suspendResume",
  "cut",
  "offline",
  "online",
  "relaunch",
  "kill",
  "pause",
  "cloudFault",
  "serverCrash",
  "driveFault",
]);

export class RecordedRunError extends Error {
  override name = "RecordedRunError";
}

export function loadRecordedRun(file: string): RecordedRun {
  let parsed: Partial<RecordedRun>;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<RecordedRun>;
  } catch (error) {
    throw new RecordedRunError(`${file}: not a recorded run (${(error as Error).message})`);
  }
  const wholeNumber = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
  if (!wholeNumber(parsed.seed) || !wholeNumber(parsed.users) || !wholeNumber(parsed.devices)) {
    throw new RecordedRunError(`${file}: seed, users and devices must be whole numbers`);
  }
  if (parsed.cloud !== "local" && parsed.cloud !== "google-drive")
    throw new RecordedRunError(`${file}: cloud is local or google-drive, not ${parsed.cloud}`);
  if (!Array.isArray(parsed.steps)) throw new RecordedRunError(`${file}: steps must be a list`);
  // The steps as read: any JSON value, until checked.
  const knownKinds: ReadonlySet<unknown> = stepKinds;
  const unknown = (parsed.steps as unknown[]).find(
    (step) => !knownKinds.has((step as { kind?: unknown } | null)?.kind),
  );
  if (unknown) throw new RecordedRunError(`${file}: unknown step ${JSON.stringify(unknown)}`);
  const outOfRange = parsed.steps.find((step) => {
    const at = (step as { at?: { user: number; device: number } }).at;
    const user = at?.user ?? (step as { user?: number }).user;
    return (user !== undefined && user >= parsed.users!) || (at !== undefined && at.device >= parsed.devices!);
  });
  if (outOfRange)
    throw new RecordedRunError(
      `${file}: step ${JSON.stringify(outOfRange)} names a user or device the run does not have`,
    );
  return parsed as RecordedRun;
}

/** Writes the run to `dir/seed-<seed>.json`; returns the path. */
export function saveRecordedRun(dir: string, run: RecordedRun): string {
  mkdirSync(dir, { recursive: true });
  const file = path.resolve(dir, `seed-${run.seed}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 1)}\n`);
  return file;
}
