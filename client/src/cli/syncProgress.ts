// How `smsync sync` shows its progress on stderr: bars on a terminal, plain
// lines otherwise (scripts, CI, tests), nothing with --quiet. stdout carries
// only the summary.
import { ProgressBars } from "./progressBars.ts";
import { ProgressLines } from "./progressLines.ts";
import { TransferTracker } from "./transferTracker.ts";

export type ProgressMode = "bars" | "lines" | "none";

export function progressMode(options: { quiet: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (options.quiet) return "none";
  return stream.isTTY && process.env.TERM !== "dumb" ? "bars" : "lines";
}

/** A tracker drawing in the given mode, or undefined for none. */
export function syncProgress(mode: ProgressMode): TransferTracker | undefined {
  if (mode === "none") return undefined;
  const view =
    mode === "bars" ? new ProgressBars(process.stderr) : new ProgressLines((line) => process.stderr.write(`${line}\n`));
  return new TransferTracker(view);
}
