// How long `smsync` takes to start, as a person starts it: `node bin/smsync.js
// --version` (and `--help`) from spawn to exit, the CLI built into dist/
// (issue 12: under 150 ms), beside `node -e 0`, the floor: Node's own start
// on this machine. One start is tens of milliseconds on a shared machine, so
// each command runs several times and the table gives the median and the
// range.
import { smsyncBin } from "./syncScenario.ts";
import { timedRun } from "./timedRun.ts";

export interface StartupResult {
  command: string;
  runs: number;
  medianSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  /** The median CPU time (user and system) of the runs; null without /usr/bin/time. */
  medianCpuSeconds: number | null;
  /** The largest peak RSS of the runs; null without /usr/bin/time. */
  maxRssBytes: number | null;
}

function median(sorted: number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function measure(command: string, args: string[], runs: number): Promise<StartupResult> {
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  let maxRssBytes: number | null = null;
  for (let run = 0; run < runs; run++) {
    const result = await timedRun(process.execPath, args);
    if (result.code !== 0) throw new Error(`${command} exited ${result.code}:\n${result.stderr}`);
    seconds.push(result.seconds);
    if (result.cpuSeconds !== null) cpuSeconds.push(result.cpuSeconds);
    if (result.maxRssBytes !== null) maxRssBytes = Math.max(maxRssBytes ?? 0, result.maxRssBytes);
  }
  seconds.sort((a, b) => a - b);
  cpuSeconds.sort((a, b) => a - b);
  return {
    command,
    runs,
    medianSeconds: median(seconds),
    minSeconds: seconds[0]!,
    maxSeconds: seconds.at(-1)!,
    medianCpuSeconds: cpuSeconds.length === runs ? median(cpuSeconds) : null,
    maxRssBytes,
  };
}

export async function measureStartup(runs = 10): Promise<StartupResult[]> {
  return [
    await measure("node -e 0 (floor)", ["-e", "0"], runs),
    await measure("smsync --version", [smsyncBin, "--version"], runs),
    await measure("smsync --help", [smsyncBin, "--help"], runs),
  ];
}
