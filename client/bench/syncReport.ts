// The sync benchmark's table, in the form of the api benchmarks' tables.
import { fixed, mib, size, table } from "@smsync/testkit/bench";
import type { StartupResult } from "./startup.ts";
import type { ScenarioResult } from "./syncScenario.ts";

interface Environment {
  date: string;
  node: string;
  platform: string;
  cpus: string;
  memory: string;
  loadAverage: string;
  tmpdir: string;
  peakMemory: string;
  mode: string;
}

const MiB = 1024 * 1024;

function startupTable(startup: StartupResult[]): string[] {
  const ms = (seconds: number) => `${fixed(seconds * 1000, 0)} ms`;
  return [
    "",
    `start-up: spawn to exit, ${startup[0]?.runs ?? 0} runs each (issue 12: smsync --version under 150 ms); CPU: user + system`,
    table(
      ["command", "median", "min", "max", "median CPU", "peak RSS"],
      startup.map((row) => [
        row.command,
        ms(row.medianSeconds),
        ms(row.minSeconds),
        ms(row.maxSeconds),
        row.medianCpuSeconds === null ? "-" : ms(row.medianCpuSeconds),
        mib(row.maxRssBytes),
      ]),
      ["left"],
    ),
  ];
}

export function renderReport(
  env: Environment,
  startup: StartupResult[],
  results: ScenarioResult[],
  seconds: number,
): string {
  const out: string[] = [];
  out.push(`smsync sync bench (${env.mode}) ${env.date}`);
  out.push(
    `node ${env.node}, ${env.platform}, ${env.cpus}, ${env.memory} RAM, load average at start ${env.loadAverage}`,
  );
  out.push(
    `temp dirs under ${env.tmpdir}; client peak memory: ${env.peakMemory}; the machine is shared: figures are noisy`,
  );
  out.push(...startupTable(startup));
  for (const result of results) {
    const floor = result.rows.find((row) => row.step === "cp -r");
    out.push("");
    out.push(
      `${result.name}: ${result.spec.files} file(s) of ${size(result.spec.bytesEach)} (${size(result.spec.files * result.spec.bytesEach)})`,
    );
    out.push(
      table(
        ["step", "wall", "files/s", "MiB/s", "x cp -r time", "sync itself", "peak RSS"],
        result.rows.map((row) => [
          row.error ? `${row.step} FAILED` : row.step,
          `${fixed(row.seconds, 2)} s`,
          row.error ? "-" : fixed(row.files / row.seconds, 0),
          row.error ? "-" : fixed(row.bytes / MiB / row.seconds, 1),
          floor ? `${fixed(row.seconds / floor.seconds, 1)}x` : "-",
          row.syncSeconds === null ? "-" : `${fixed(row.syncSeconds, 2)} s`,
          mib(row.maxRssBytes),
        ]),
        ["left"],
      ),
    );
    for (const row of result.rows.filter((row) => row.error)) {
      out.push(`   ${row.step} FAILED after ${fixed(row.seconds, 1)} s, ${row.error}.`);
      out.push("   (SMSYNC_TEST_LOG_LEVEL=error shows the server's log on stdout.)");
    }
  }
  out.push("");
  out.push("   wall: spawn to exit of the process (smsync: Node's start-up, the login check, the scan with its");
  out.push("   hashing, the uploads or downloads, the server's commit to the cloud, until the CLI's summary);");
  out.push("   sync itself: the CLI's own timing of the sync (its JSON summary), without start-up; peak RSS: of that");
  out.push("   one process. Server: in the bench process (startTestServer, SQLite), on 127.0.0.1; same disk for all.");
  out.push(`Total time: ${seconds.toFixed(0)} s`);
  return out.join("\n");
}
