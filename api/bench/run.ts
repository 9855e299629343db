// `npm run bench` (SPEC section 7, "Measured, not assumed"): in one run,
//   1. upload throughput through the tus endpoint against a plain node:http
//      upload to disk measured in the same process (the baseline),
//   2. commit -> cloud -> SUCCEEDED for batches of 1, 10 and 100 small files,
//      with the upload phase timed separately,
//   3. peak RSS of a server in its own process receiving a 1 GiB upload
//      (and moving it to the cloud), beside a small upload for comparison,
//   4. the control plane: commits/s of many devices looping lock -> upload
//      -> commit -> unlock, fileIndex req/s, and a bare graphql-yoga's req/s,
//   5. fairness: a user's commits alone and while another account floods
//      `lock`, and the lock's wait with many devices of one user.
// Options: --quick (64 MiB, fewer files, one repetition), --json (the
// figures as JSON on stdout; the table then goes to stderr), --only
// throughput,commit,memory,controlPlane,lockFairness, and the sizes below. Progress goes to stderr.
// From the repository root: npm run bench -- --quick (flags without a
// value), npm run bench -- -- --size-mib 128 (flags with one).
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startTestServer, testProvider, type TestServer } from "@smsync/testkit";
import { measureCommits, type CommitRow } from "./commits.ts";
import { KiB, MiB } from "./content.ts";
import { measureControlPlane, type ControlPlaneResult } from "./controlPlane.ts";
import { measureLockFairness, type LockFairnessResult } from "./lockFairness.ts";
import { measureMemory, type MemoryResult } from "./memory.ts";
import {
  elapsedSeconds,
  fixed,
  interrupted,
  mib,
  ms,
  onCleanup,
  progress,
  runCleanup,
  setQuiet,
  size,
  table,
  trackDir,
} from "@smsync/testkit/bench";
import { measureThroughput, type ThroughputResult } from "./throughput.ts";
import { agent } from "./http.ts";

const usage = `usage: npm run bench [-- options]
  --quick                 a short check: 64 MiB, 1 and 10 files, one repetition, memory with 16 and 64 MiB
  --json                  print the figures as JSON on stdout (the tables go to stderr)
  --only <list>           some of: throughput,commit,memory,controlPlane,lockFairness (default: all five)
  --size-mib <n>          throughput: file size (default 256; quick 64)
  --chunk-mib <n>         throughput: PATCH size of the chunked tus uploads (default 8)
  --reps <n>              repetitions of each throughput and commit measurement (default 5 and 3; quick 1)
  --files <list>          commit: batch sizes (default 1,10,100; quick 1,10)
  --file-kib <n>          commit: size of each small file (default 64)
  --memory-mib <list>     memory: upload sizes, in one server process (default 64,1024; quick 16,64)
  --memory-chunk-mib <n>  memory: PATCH size (default: the whole file in one PATCH)
  --port <n>              memory: the server process's port (default: a free one)
  --devices <n>           controlPlane: devices looping lock, upload, commit, unlock (default 50)
  --users <n>             controlPlane: users they belong to (default 10)
  --seconds <n>           controlPlane: duration of the commit loop (default 20; quick 5)
  --read-seconds <n>      controlPlane: duration of each fileIndex and bare yoga round (default 5; quick 2)
  --server-cpu-prof <dir> controlPlane: write the server process's CPU profile (node --cpu-prof) into dir
  --lock-wait-seconds <n> controlPlane, lockFairness: a device waits for the lock in the server up to n s a call
                          (lock's waitSeconds; default 20); 0: it polls after each LOCK_HELD's retryAfterSeconds
  --fairness-seconds <n>  lockFairness: duration of each phase (default 10; quick 4)
  --quiet                 no progress on stderr`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    only: { type: "string" },
    "lock-wait-seconds": { type: "string" },
    "fairness-seconds": { type: "string" },
    "size-mib": { type: "string" },
    "chunk-mib": { type: "string" },
    reps: { type: "string" },
    files: { type: "string" },
    "file-kib": { type: "string" },
    "memory-mib": { type: "string" },
    "memory-chunk-mib": { type: "string" },
    port: { type: "string" },
    devices: { type: "string" },
    users: { type: "string" },
    seconds: { type: "string" },
    "read-seconds": { type: "string" },
    "server-cpu-prof": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
// From the repository root, `npm run bench -- --quick` reaches this script
// through a second npm (npm run bench --workspace api), which takes unknown
// flags as its own configuration: it passes them on as npm_config_<name> and
// drops the flag before a value ("--size-mib 128" arrives as "128").
const fromNpm = (name: string) => process.env[`npm_config_${name}`] === "true";
values.quick ||= fromNpm("quick");
values.json ||= fromNpm("json");
if (positionals.length > 0) {
  console.error(
    `bench: unexpected argument(s) ${positionals.join(" ")}: from the repository root, options with a value need a second --:\n` +
      `  npm run bench -- -- --size-mib 128   (or: npm run bench --workspace api -- --size-mib 128)\n${usage}`,
  );
  process.exit(2);
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`bench: --${name} must be a positive number (got ${text})\n${usage}`);
    process.exit(2);
  }
  return value;
}
const list = (name: string, text: string | undefined, fallback: number[]) =>
  text === undefined ? fallback : text.split(",").map((item) => positive(name, item.trim(), NaN));

const quick = values.quick;
const sections = new Set(
  (values.only ?? "throughput,commit,memory,controlPlane,lockFairness").split(",").map((name) => name.trim()),
);
for (const name of sections) {
  if (!["throughput", "commit", "memory", "controlPlane", "lockFairness"].includes(name)) {
    console.error(`bench: unknown section ${name} in --only\n${usage}`);
    process.exit(2);
  }
}
const reps = values.reps === undefined ? undefined : Math.round(positive("reps", values.reps, 1));
// 0 is a valid value here (poll instead of waiting in the server).
const lockWaitSeconds =
  values["lock-wait-seconds"] === "0" ? 0 : positive("lock-wait-seconds", values["lock-wait-seconds"], 20);
const options = {
  throughput: {
    sizeBytes: Math.round(positive("size-mib", values["size-mib"], quick ? 64 : 256) * MiB),
    chunkBytes: Math.round(positive("chunk-mib", values["chunk-mib"], 8) * MiB),
    reps: reps ?? (quick ? 1 : 5),
  },
  commit: {
    fileCounts: list("files", values.files, quick ? [1, 10] : [1, 10, 100]).map(Math.round),
    fileBytes: Math.round(positive("file-kib", values["file-kib"], 64) * KiB),
    reps: reps ?? (quick ? 1 : 3),
  },
  memory: {
    sizes: list("memory-mib", values["memory-mib"], quick ? [16, 64] : [64, 1024]).map((n) => Math.round(n * MiB)),
    chunkBytes: values["memory-chunk-mib"]
      ? Math.round(positive("memory-chunk-mib", values["memory-chunk-mib"], 0) * MiB)
      : Infinity,
    port: values.port ? Math.round(positive("port", values.port, 0)) : undefined,
    sampleMs: 50,
  },
  controlPlane: {
    devices: Math.round(positive("devices", values.devices, 50)),
    users: Math.round(positive("users", values.users, 10)),
    filesPerCommit: 3,
    fileBytes: 1 * KiB,
    commitSeconds: positive("seconds", values.seconds, quick ? 5 : 20),
    lockWaitSeconds,
    indexFiles: 134,
    concurrency: 32,
    readSeconds: positive("read-seconds", values["read-seconds"], quick ? 2 : 5),
    readRounds: quick ? 1 : 2,
    serverNodeFlags: values["server-cpu-prof"]
      ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["server-cpu-prof"])}`]
      : [],
  },
  lockFairness: {
    filesPerCommit: 3,
    fileBytes: 1 * KiB,
    lockWaitSeconds,
    seconds: positive("fairness-seconds", values["fairness-seconds"], quick ? 4 : 10),
    floodLoops: 16,
    contenders: 16,
  },
};
setQuiet(values.quiet);

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

const environment = {
  date: new Date().toISOString(),
  commit: gitCommit(),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}`,
  memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  loadAverage: os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(" "),
  tmpdir: os.tmpdir(),
  database: testProvider,
  mode: quick ? "quick" : "full",
};

interface Results {
  environment: typeof environment;
  options: typeof options;
  throughput?: ThroughputResult;
  commit?: CommitRow[];
  memory?: MemoryResult;
  controlPlane?: ControlPlaneResult;
  lockFairness?: LockFairnessResult;
  seconds?: number;
}

function lockWaitText(waitSeconds: number): string {
  return waitSeconds > 0
    ? `Devices wait for the lock in the server (lock's waitSeconds ${waitSeconds})`
    : "After LOCK_HELD a device asks again after the answer's retryAfterSeconds";
}

function render(results: Results): string {
  const out: string[] = [];
  const env = results.environment;
  out.push(`smsync bench (${env.mode}) ${env.date}  commit ${env.commit}`);
  out.push(
    `node ${env.node}, ${env.platform}, ${env.cpus}, ${env.memory} RAM, load average at start ${env.loadAverage}`,
  );
  out.push(`database ${env.database}, temp dirs under ${env.tmpdir}; the machine is shared: figures are noisy`);

  const t = results.throughput;
  if (t) {
    out.push("");
    out.push(
      `1. Upload throughput, ${size(t.sizeBytes)} of generated content, ${t.reps} run(s) of each, MB/s = 10^6 bytes/s`,
    );
    out.push(
      table(
        ["method", "client", "requests", "median MB/s", "best MB/s", "vs baseline", "runs (MB/s)"],
        t.rows.map((row) => [
          row.method,
          row.client,
          String(row.requests),
          fixed(row.medianMBps),
          fixed(row.bestMBps),
          `${fixed(row.ratioToBaseline, 2)}x`,
          row.runsMBps.map((value) => fixed(value)).join(" "),
        ]),
        ["left", "left", "right", "right", "right", "right", "left"],
      ),
    );
    out.push(
      "   Server and client in the bench process (startTestServer), over 127.0.0.1; baseline: node:http server in the",
    );
    out.push(
      "   same process streaming the body to a file on the same disk. Time: first byte of the request (tus: the creation",
    );
    out.push(
      "   POST) to the server's answer to the last request (tus: after it re-read the file to check its sha256).",
    );
    out.push(
      "   vs baseline: median over the runs of (MB/s / baseline MB/s of the same run); the methods alternate in each run.",
    );
  }

  const c = results.commit;
  if (c) {
    out.push("");
    out.push(
      `2. Batches of small files end to end (${size(c[0]?.fileBytes ?? 0)} each), median of ${c[0]?.runs.length ?? 0} run(s)`,
    );
    out.push(
      table(
        [
          "files",
          "upload phase",
          "upload files/s",
          "commit answer",
          "commit -> SUCCEEDED",
          "min..max",
          "files/s to cloud",
        ],
        c.map((row) => [
          String(row.files),
          ms(row.medianUploadMs),
          fixed((row.files / row.medianUploadMs) * 1000, 1),
          ms(row.medianCommitResponseMs),
          ms(row.medianCommitToSucceededMs),
          `${ms(row.minCommitToSucceededMs)}..${ms(row.maxCommitToSucceededMs)}`,
          fixed((row.files / row.medianCommitToSucceededMs) * 1000, 1),
        ]),
      ),
    );
    out.push(
      "   Upload phase: the files one after another with tus-js-client (Buffer source, one PATCH each), lock taken before.",
    );
    out.push(
      "   Commit -> SUCCEEDED: from sending the commit mutation to receiving the SUCCEEDED event of the transferProgress",
    );
    out.push("   subscription (graphql-ws, connected beforehand); commit answer: the mutation's own round trip.");
  }

  const m = results.memory;
  if (m) {
    out.push("");
    out.push(
      `3. Server process memory (RSS), separate process pid ${m.pid} on port ${m.port}, sampled every ${m.sampleMs} ms`,
    );
    out.push(
      table(
        [
          "upload size",
          "upload MB/s",
          "RSS before",
          "peak in upload",
          "max sampled",
          "commit->cloud",
          "peak in transfer",
          "RSS after",
        ],
        m.rows.map((row) => [
          size(row.sizeBytes),
          fixed(row.uploadMBps),
          mib(row.rssBeforeBytes),
          mib(row.uploadPeakRssBytes),
          mib(row.uploadMaxSampledRssBytes),
          `${row.transferSeconds.toFixed(1)} s`,
          mib(row.transferPeakRssBytes ?? row.transferMaxSampledRssBytes),
          mib(row.rssAfterBytes),
        ]),
      ),
    );
    const largest = m.rows.at(-1);
    if (largest) {
      out.push(
        `   RSS during the ${size(largest.sizeBytes)} upload at 0/25/50/75/100% of the bytes sent: ` +
          largest.rssAtProgressBytes.map((bytes) => mib(bytes)).join(", "),
      );
    }
    out.push(
      `   RSS idle after start ${mib(m.idleRssBytes)} (peak during start-up ${mib(m.startupPeakRssBytes)}); after an unmeasured 8 MiB warm-up upload and transfer ${mib(m.warmRssBytes)}.`,
    );
    out.push(
      `   Peaks: VmHWM of /proc/<pid>/status, ${m.peakResettable ? "reset (clear_refs 5) just before each phase" : "NOT resettable here: max of samples"};` +
        ` uploads: raw tus over node:http, ${Number.isFinite(m.chunkBytes) ? `${size(m.chunkBytes)} PATCHes` : "the whole file in one PATCH"}.`,
    );
  }
  const p = results.controlPlane;
  if (p) {
    const o = results.options.controlPlane;
    const loop = p.commitLoop;
    out.push("");
    out.push(
      `4. Control plane: ${o.devices} devices of ${o.users} users looping for ${o.commitSeconds} s; reads at concurrency ${o.concurrency}, ${o.readRounds} round(s) of ${o.readSeconds} s`,
    );
    out.push(
      table(
        ["measurement", "rate", "p50", "p99", "server CPU", "also"],
        [
          [
            `(a) lock, upload ${o.filesPerCommit} x ${size(o.fileBytes)}, commit, SUCCEEDED, unlock`,
            `${fixed(loop.commitsPerSecond, 1)} commits/s, ${fixed(loop.filesPerSecond, 1)} files/s`,
            "",
            "",
            `${fixed(loop.serverCpuMsPerCommit, 1)} ms/commit`,
            `${loop.commits} commits, ${loop.lockAttempts} lock calls`,
          ],
          ["    commit -> SUCCEEDED", "", ms(loop.commitToSucceededP50Ms), ms(loop.commitToSucceededP99Ms), "", ""],
          ["    waiting for the lock", "", ms(loop.lockWaitP50Ms), ms(loop.lockWaitP99Ms), "", ""],
          [
            `(b) fileIndex, ${o.indexFiles} files`,
            `${fixed(p.fileIndex.requestsPerSecond)} req/s`,
            ms(p.fileIndex.p50Ms),
            ms(p.fileIndex.p99Ms),
            `${fixed(p.fileIndexServerCpuMs, 2)} ms/req`,
            `${fixed(p.ratio, 2)}x bare`,
          ],
          [
            "(c) bare graphql-yoga, { __typename }",
            `${fixed(p.bare.requestsPerSecond)} req/s`,
            ms(p.bare.p50Ms),
            ms(p.bare.p99Ms),
            "",
            "",
          ],
        ],
        ["left", "right", "right", "right", "right", "left"],
      ),
    );
    out.push(
      "   Server in its own process (node --import tsx src/main.ts), bare yoga in another; load from the bench process",
    );
    out.push(
      `   over 127.0.0.1 (node:http, closed loop). (a): batches by POST /upload-batches, SUCCEEDED on transferProgress (graphql-ws),`,
    );
    out.push(
      `   ${lockWaitText(o.lockWaitSeconds)}. p50/p99 of the reads: median of the rounds'. Server CPU: user + system`,
    );
    out.push("   time of the server process (/proc/<pid>/stat) over the phase, per commit or per request.");
  }
  const f = results.lockFairness;
  if (f) {
    const o = results.options.lockFairness;
    out.push("");
    out.push(
      `5. Fairness: one account against another, and ${o.contenders} devices of one user (${o.seconds} s a phase)`,
    );
    out.push(
      table(
        ["", "cycles", "p50", "p99", ""],
        [
          ["(a) a user's commit cycle, alone", String(f.alone.cycles), ms(f.alone.p50Ms), ms(f.alone.p99Ms), ""],
          [
            `(b) the same, another account flooding lock`,
            String(f.flooded.cycles),
            ms(f.flooded.p50Ms),
            ms(f.flooded.p99Ms),
            `${fixed(f.flooded.floodRequestsPerSecond)} lock calls/s from ${o.floodLoops} loops; p50 ${fixed(f.flooded.p50Ms / f.alone.p50Ms, 2)}x, p99 ${fixed(f.flooded.p99Ms / f.alone.p99Ms, 2)}x alone`,
          ],
          [
            `(c) waiting for the lock, ${o.contenders} devices of one user`,
            "",
            ms(f.contended.lockWaitP50Ms),
            ms(f.contended.lockWaitP99Ms),
            `max ${ms(f.contended.lockWaitMaxMs)}; ${f.contended.devicesServed} of ${o.contenders} devices served; ` +
              `${fixed(f.contended.commitsPerSecond, 1)} commits/s, ${fixed(f.contended.lockCallsPerCommit, 1)} lock calls per commit`,
          ],
        ],
        ["left", "right", "right", "right", "left"],
      ),
    );
    out.push(
      "   A cycle: lock -> a batch of 3 files of 1 KiB -> commit -> SUCCEEDED (transferProgress); unlock after it.",
    );
    out.push("   (c)'s waits include those still running at the end of the phase, at what they had waited then.");
    out.push(
      `   The flood: one device of the other account holds its lock, another calls lock without pause, ignoring the hints. ${lockWaitText(o.lockWaitSeconds)}.`,
    );
  }
  if (results.seconds !== undefined) {
    out.push("");
    out.push(`Total time: ${results.seconds.toFixed(0)} s`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const results: Results = { environment, options };
  progress(`smsync bench (${environment.mode}): ${[...sections].join(", ")}`);
  onCleanup("http agent", () => agent.destroy());

  if (sections.has("throughput") || sections.has("commit")) {
    progress("starting the in-process test server");
    const server: TestServer = await startTestServer();
    trackDir(server.dir);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await server.close();
    };
    onCleanup("in-process server", close);
    if (sections.has("throughput")) {
      progress(`throughput: ${size(options.throughput.sizeBytes)} x ${options.throughput.reps} run(s) x 4 methods`);
      results.throughput = await measureThroughput(server, options.throughput);
    }
    if (sections.has("commit")) {
      progress(
        `commit: batches of ${options.commit.fileCounts.join(", ")} file(s) of ${size(options.commit.fileBytes)}`,
      );
      results.commit = await measureCommits(server, options.commit);
    }
    await close();
  }
  if (sections.has("memory")) {
    results.memory = await measureMemory(options.memory);
  }
  if (sections.has("controlPlane")) {
    results.controlPlane = await measureControlPlane(options.controlPlane);
  }
  if (sections.has("lockFairness")) {
    results.lockFairness = await measureLockFairness(options.lockFairness);
  }
  results.seconds = elapsedSeconds();

  const report = render(results);
  if (values.json) {
    process.stderr.write(`${report}\n`);
    process.stdout.write(
      `${JSON.stringify(results, (_key, value: unknown) => (value === Infinity ? "Infinity" : value), 2)}\n`,
    );
  } else {
    process.stdout.write(`${report}\n`);
  }
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  if (interrupted()) {
    console.error(`bench interrupted by ${interrupted()}`);
    exitCode = 130;
  } else {
    console.error("bench failed:", error);
    exitCode = 1;
  }
} finally {
  await runCleanup();
}
process.exit(exitCode);
