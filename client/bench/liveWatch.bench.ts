// `npm run bench:live --workspace client`: `smsync watch` as it is used.
//  1. Latency: two `smsync watch` processes (devices A and B of one account)
//     on a folder of small files, against the server as a process of its
//     own; each round changes A as the peer benchmark does (10 files
//     rewritten by 4 KiB, 5 deleted, 5 added) and times until B holds the
//     change; p50, p95 and the slowest over the rounds, with the CPU the
//     three processes spent on them.
//  2. Idle cost: one `smsync watch` of a folder of 10,000 small files, left
//     alone for a minute: its CPU (and the server's) over that minute as a
//     share of one core, and its RSS at the start and the end of it.
// Options: --files N (latency folder, 1000), --rounds N (20), --idle-files N
// (10000), --idle-seconds N (60), --json, --quiet.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ProcessServer } from "@smsync/testkit";
import {
  fixed,
  onCleanup,
  progress,
  runCleanup,
  setQuiet,
  sleep,
  table,
  trackChild,
  trackDir,
} from "@smsync/testkit/bench";
import { smsyncBin } from "./syncScenario.ts";
import { timedRun } from "./timedRun.ts";

const { values } = parseArgs({
  strict: false,
  options: {
    files: { type: "string" },
    rounds: { type: "string" },
    "idle-files": { type: "string" },
    "idle-seconds": { type: "string" },
    json: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});
const count = (flag: string, fallback: number) => {
  const value = Number(values[flag] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${flag} must be a positive whole number`);
  return value;
};
const files = count("files", 1000);
const rounds = count("rounds", 20);
const idleFiles = count("idle-files", 10_000);
const idleSeconds = count("idle-seconds", 60);
setQuiet(values.quiet === true);

const KiB = 1024;
const clockTicks = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU in hundredths of a second
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** User + system CPU seconds of a process so far, and its resident memory now. */
function usage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpuSeconds, rssBytes: Number(rss?.[1] ?? 0) * KiB };
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Small files of 1-16 KiB in 20 folders, as the peer benchmark's small set. */
function writeSmallFiles(dir: string, howMany: number, maxKiB = 16): void {
  for (let index = 0; index < howMany; index++) {
    const folder = path.join(dir, `d${index % 20}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, `s${index}.bin`),
      randomBytes(KiB + Math.floor(Math.random() * (maxKiB - 1) * KiB)),
    );
  }
}

async function login(server: ProcessServer, config: string, token: string): Promise<void> {
  const run = await timedRun(process.execPath, [smsyncBin, "login", "--server", server.url, "--token", token], {
    ...process.env,
    SMSYNC_CONFIG: config,
  });
  if (run.code !== 0) throw new Error(`smsync login: ${run.stderr}`);
}

async function syncOnce(config: string, dir: string): Promise<void> {
  const run = await timedRun(process.execPath, [smsyncBin, "sync", dir, "--quiet", "--json"], {
    ...process.env,
    SMSYNC_CONFIG: config,
  });
  if (run.code !== 0) throw new Error(`smsync sync ${dir}: ${run.stdout}${run.stderr}`);
}

/** `smsync watch DIR --json --quiet`, resolved once it says it is ready. */
async function startWatch(config: string, dir: string): Promise<ChildProcess> {
  const child = trackChild(
    spawn(process.execPath, [smsyncBin, "watch", dir, "--json", "--quiet"], {
      env: { ...process.env, SMSYNC_CONFIG: config },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  await new Promise<void>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('"event":"ready"')) resolve();
    });
    child.once("exit", (code) => reject(new Error(`smsync watch ${dir} exited ${code} before it was ready`)));
  });
  // SMSYNC_BENCH_WATCH_LOG=DIR: each watcher's JSON events (with their times) kept in DIR, to see where a round went.
  const logDir = process.env.SMSYNC_BENCH_WATCH_LOG;
  if (logDir) child.stdout!.pipe(createWriteStream(path.join(logDir, `${path.basename(dir)}.jsonl`)));
  else child.stdout!.resume();
  return child;
}

/** The peer benchmark's change: 10 files rewritten by 4 KiB in place, 5 deleted, 5 added; what B must then hold. */
function change(dir: string, present: string[], round: number) {
  const shuffled = [...present].sort(() => Math.random() - 0.5);
  const deleted = shuffled.slice(0, 5);
  const modified = shuffled.slice(5, 15);
  const expected = new Map<string, string | null>();
  for (const relative of deleted) {
    rmSync(path.join(dir, relative));
    expected.set(relative, null);
  }
  for (const relative of modified) {
    const file = path.join(dir, relative);
    const bytes = readFileSync(file);
    const at = Math.floor(Math.random() * Math.max(1, bytes.length - 4 * KiB));
    randomBytes(Math.min(4 * KiB, bytes.length)).copy(bytes, at);
    writeFileSync(file, bytes);
    expected.set(relative, sha256(bytes));
  }
  const added = Array.from({ length: 5 }, (_, index) => `d${index}/new-${round}-${index}.bin`);
  for (const relative of added) {
    const bytes = randomBytes(KiB + Math.floor(Math.random() * 15 * KiB));
    writeFileSync(path.join(dir, relative), bytes);
    expected.set(relative, sha256(bytes));
  }
  return { expected, present: [...present.filter((relative) => !deleted.includes(relative)), ...added] };
}

function holds(dir: string, expected: Map<string, string | null>): boolean {
  for (const [relative, hash] of expected) {
    let bytes: Buffer | null;
    try {
      bytes = readFileSync(path.join(dir, relative));
    } catch {
      bytes = null;
    }
    if (hash === null ? bytes !== null : bytes === null || sha256(bytes) !== hash) return false;
  }
  return true;
}

async function latency(server: ProcessServer, home: string) {
  const user = await server.newUser();
  const second = await server.newDevice(user.userName);
  const [a, b] = [path.join(home, "live-a"), path.join(home, "live-b")];
  const [configA, configB] = [path.join(home, "live-a.json"), path.join(home, "live-b.json")];
  await login(server, configA, user.client.token!);
  await login(server, configB, second.client.token!);
  writeSmallFiles(a, files);
  mkdirSync(b);
  progress(`latency: ${files} files up and down, then two watchers`);
  await syncOnce(configA, a);
  await syncOnce(configB, b);
  const watchA = await startWatch(configA, a);
  const watchB = await startWatch(configB, b);
  let present = Array.from({ length: files }, (_, index) => `d${index % 20}/s${index}.bin`);
  const seconds: number[] = [];
  const pids = [watchA.pid!, watchB.pid!, server.current!.pid];
  const cpuBefore = pids.map((pid) => usage(pid).cpuSeconds);
  for (let round = 1; round <= rounds; round++) {
    await sleep(500);
    const started = performance.now();
    if (process.env.SMSYNC_BENCH_WATCH_LOG) progress(`round ${round} starts at ${new Date().toISOString()}`);
    const made = change(a, present, round);
    present = made.present;
    while (!holds(b, made.expected)) {
      if (performance.now() - started > 60_000) throw new Error(`round ${round}: B did not get the change within 60 s`);
      await sleep(5);
    }
    seconds.push((performance.now() - started) / 1000);
    progress(`round ${round}: ${fixed(seconds.at(-1)! * 1000)} ms`);
  }
  const cpu = pids.map((pid, index) => usage(pid).cpuSeconds - cpuBefore[index]!);
  watchA.kill("SIGTERM");
  watchB.kill("SIGTERM");
  const sorted = [...seconds].sort((x, y) => x - y);
  return {
    rounds,
    files,
    p50Seconds: percentile(sorted, 0.5),
    p95Seconds: percentile(sorted, 0.95),
    maxSeconds: sorted.at(-1)!,
    cpuSecondsPerRound: { watchA: cpu[0]! / rounds, watchB: cpu[1]! / rounds, server: cpu[2]! / rounds },
  };
}

async function idle(server: ProcessServer, home: string) {
  const user = await server.newUser();
  const dir = path.join(home, "idle");
  const config = path.join(home, "idle.json");
  await login(server, config, user.client.token!);
  writeSmallFiles(dir, idleFiles, 4);
  progress(`idle: ${idleFiles} files up, then one watcher left alone for ${idleSeconds} s`);
  await syncOnce(config, dir);
  const watch = await startWatch(config, dir);
  await sleep(5000); // the start's own work (the first scan, live mode's first pass) is over
  const samples: { at: number; rssBytes: number }[] = [];
  const first = usage(watch.pid!);
  const serverFirst = usage(server.current!.pid).cpuSeconds;
  for (let second = 0; second <= idleSeconds; second += 10) {
    samples.push({ at: second, rssBytes: usage(watch.pid!).rssBytes });
    if (second < idleSeconds) await sleep(Math.min(10, idleSeconds - second) * 1000);
  }
  const last = usage(watch.pid!);
  const serverCpu = usage(server.current!.pid).cpuSeconds - serverFirst;
  watch.kill("SIGTERM");
  return {
    files: idleFiles,
    seconds: idleSeconds,
    watchCpuShare: (last.cpuSeconds - first.cpuSeconds) / idleSeconds,
    serverCpuShare: serverCpu / idleSeconds,
    rssBytes: samples,
  };
}

try {
  const home = trackDir(mkdtempSync(path.join(os.tmpdir(), "smsync-bench-live-")));
  const server = await ProcessServer.create();
  onCleanup("server", () => server.close());
  await server.start();
  const live = await latency(server, home);
  const quiet = await idle(server, home);
  const mib = (bytes: number) => `${fixed(bytes / 1024 / 1024, 1)} MiB`;
  process.stderr.write(
    `\nA change (10 files rewritten by 4 KiB, 5 deleted, 5 added) in a watched folder of ${live.files} small files, until the other watcher holds it (${live.rounds} rounds):\n` +
      table(
        ["p50", "p95", "slowest", "CPU a round: watch A", "watch B", "server"],
        [
          [
            `${fixed(live.p50Seconds * 1000)} ms`,
            `${fixed(live.p95Seconds * 1000)} ms`,
            `${fixed(live.maxSeconds * 1000)} ms`,
            `${fixed(live.cpuSecondsPerRound.watchA * 1000)} ms`,
            `${fixed(live.cpuSecondsPerRound.watchB * 1000)} ms`,
            `${fixed(live.cpuSecondsPerRound.server * 1000)} ms`,
          ],
        ],
      ) +
      `\n\n\`smsync watch\` of ${quiet.files} files left alone for ${quiet.seconds} s:\n` +
      table(
        ["watch CPU (share of a core)", "server CPU", ...quiet.rssBytes.map((sample) => `RSS at ${sample.at} s`)],
        [
          [
            `${fixed(quiet.watchCpuShare * 100, 2)} %`,
            `${fixed(quiet.serverCpuShare * 100, 2)} %`,
            ...quiet.rssBytes.map((sample) => mib(sample.rssBytes)),
          ],
        ],
      ) +
      "\n",
  );
  if (values.json === true) console.log(JSON.stringify({ live, idle: quiet }));
} finally {
  await runCleanup();
}
