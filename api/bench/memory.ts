// Figure 3: the resident memory of a server in its own process (node
// --import tsx src/main.ts, as `npm start` runs it) while it receives large
// uploads and moves them to the cloud. Sizes run from small to large in one
// process: a peak that does not grow with the file size is flat memory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { addUser } from "../src/auth/users.ts";
import { openDatabase } from "../src/database/client.ts";
import { migrate } from "../src/database/migrate.ts";
import { createTestDatabase, sourceNodeOptions, testEnvironment, TestGraphQLClient } from "@smsync/testkit";
import { hashContent, MiB } from "./content.ts";
import { rawTusUpload } from "./tusRaw.ts";
import { byTenths, freePort, onCleanup, progress, sleep, trackChild, trackDir } from "@smsync/testkit/bench";

const apiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface MemoryOptions {
  sizes: number[];
  /** Bytes per PATCH; Infinity: the whole file in one request, the harshest case for buffering. */
  chunkBytes: number;
  port?: number;
  sampleMs: number;
}

export interface MemoryRow {
  sizeBytes: number;
  uploadSeconds: number;
  uploadMBps: number;
  rssBeforeBytes: number;
  /** VmHWM after the upload, the kernel's peak counter reset just before it (exact, not sampled). */
  uploadPeakRssBytes: number | null;
  /** The largest VmRSS seen by sampling every sampleMs during the upload. */
  uploadMaxSampledRssBytes: number;
  /** VmRSS sampled when 0, 25, 50, 75 and 100 % of the bytes had been sent. */
  rssAtProgressBytes: number[];
  transferSeconds: number;
  /** VmHWM from the commit mutation to SUCCEEDED (peak counter reset before the commit). */
  transferPeakRssBytes: number | null;
  transferMaxSampledRssBytes: number;
  rssAfterBytes: number;
  samples: number;
}

export interface MemoryResult {
  pid: number;
  port: number;
  sampleMs: number;
  chunkBytes: number;
  /** VmRSS once the server answered /healthz. */
  idleRssBytes: number;
  /** VmRSS after the warm-up upload and transfer. */
  warmRssBytes: number;
  /** VmHWM since the process started (start-up included), read once it answered /healthz. */
  startupPeakRssBytes: number;
  peakResettable: boolean;
  rows: MemoryRow[];
}

function readStatus(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib("VmRSS"), hwm: kib("VmHWM") };
}

/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0). */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

interface Sample {
  at: number;
  rss: number;
  sent: number;
}

function startSampler(pid: number, everyMs: number, sent: () => number) {
  const samples: Sample[] = [];
  const take = () => samples.push({ at: performance.now(), rss: readStatus(pid).rss, sent: sent() });
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop(): Sample[] {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

function rssAtProgress(samples: Sample[], total: number): number[] {
  return [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const wanted = fraction * total;
    // The sample nearest the wanted progress (the first of equals); samples has at least the last one.
    const best = samples.reduce((nearest, sample) =>
      Math.abs(sample.sent - wanted) < Math.abs(nearest.sent - wanted) ? sample : nearest,
    );
    return best.rss;
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  stderrTail: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `server process exited (${child.exitCode ?? child.signalCode}) before answering:\n${stderrTail()}`,
      );
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) {
        // Someone else's server on a taken --port would answer too: ours must still be running.
        await sleep(300);
        if (child.exitCode === null && child.signalCode === null) return;
        continue;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`server did not answer ${url}/healthz within ${timeoutMs} ms:\n${stderrTail()}`);
    await sleep(100);
  }
}

export async function measureMemory(options: MemoryOptions): Promise<MemoryResult> {
  const dir = trackDir(mkdtempSync(path.join(tmpdir(), "smsync-bench-memory-")));
  const database = await createTestDatabase(dir);
  onCleanup("memory benchmark database", () => database.drop());
  await migrate(database.url);
  const db = openDatabase(database.url);
  const { token } = await addUser(db, "bench");
  await db.$disconnect();

  const port = options.port ?? (await freePort());
  const env = { ...process.env, ...testEnvironment(dir, database.url, { SMSYNC_PORT: String(port) }) };
  progress(`memory: starting the server process (node --import tsx src/main.ts) on port ${port}`);
  const child = trackChild(
    spawn(process.execPath, [...sourceNodeOptions, "src/main.ts"], {
      cwd: apiDir,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    }),
  );
  onCleanup("server process", () => stopChild(child));
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, child, () => stderr, 60_000);
  const pid = child.pid!;
  const started = readStatus(pid);
  const client = new TestGraphQLClient(baseUrl, token);
  const peakResettable = resetPeak(pid);

  // Warm-up (not measured): the first upload and transfer load and compile their code paths.
  progress("memory: warm-up upload and transfer (8 MiB)");
  {
    const warmSize = 8 * MiB;
    const { fencingToken } = await client.lock(600);
    await rawTusUpload(
      { baseUrl, token },
      { size: warmSize, sha256: hashContent(warmSize), fencingToken, chunkBytes: options.chunkBytes },
    );
    const warm = await client.waitForOperation((await client.commit(fencingToken)).id, 60_000);
    if (warm.state !== "SUCCEEDED")
      throw new Error(`the warm-up transfer ended ${warm.state}: ${JSON.stringify(warm)}`);
  }

  const warmRssBytes = readStatus(pid).rss;
  const rows: MemoryRow[] = [];
  for (const size of options.sizes) {
    const label = `${size / MiB} MiB`;
    progress(`memory: hashing ${label} of generated content (first pass)`);
    const sha256 = hashContent(size);
    const { fencingToken } = await client.lock(600);

    progress(`memory: uploading ${label} to the server process`);
    let sent = 0;
    const tenths = byTenths(size, (fraction) => progress(`memory: ${label} upload ${Math.round(fraction * 100)}%`));
    const rssBefore = readStatus(pid).rss;
    resetPeak(pid);
    let sampler = startSampler(pid, options.sampleMs, () => sent);
    const uploadStarted = performance.now();
    await rawTusUpload(
      { baseUrl, token },
      {
        size,
        sha256,
        fencingToken,
        chunkBytes: options.chunkBytes,
        onProgress: (bytes) => {
          sent += bytes;
          tenths(bytes);
        },
      },
    );
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const uploadSamples = sampler.stop();
    const uploadPeak = readStatus(pid).hwm;

    progress(`memory: ${label} uploaded (${(size / 1e6 / uploadSeconds).toFixed(0)} MB/s); commit -> cloud`);
    resetPeak(pid);
    sampler = startSampler(pid, options.sampleMs, () => sent);
    const transferStarted = performance.now();
    const operation = await client.commit(fencingToken);
    const final = await client.waitForOperation(operation.id, 30 * 60_000);
    const transferSeconds = (performance.now() - transferStarted) / 1000;
    const transferSamples = sampler.stop();
    const transferPeak = readStatus(pid).hwm;
    if (final.state !== "SUCCEEDED" || final.bytesDone !== size) {
      throw new Error(`the transfer of the ${label} upload ended ${final.state}: ${JSON.stringify(final)}`);
    }

    rows.push({
      sizeBytes: size,
      uploadSeconds,
      uploadMBps: size / 1e6 / uploadSeconds,
      rssBeforeBytes: rssBefore,
      uploadPeakRssBytes: peakResettable ? uploadPeak : null,
      uploadMaxSampledRssBytes: Math.max(...uploadSamples.map((sample) => sample.rss)),
      rssAtProgressBytes: rssAtProgress(uploadSamples, size),
      transferSeconds,
      transferPeakRssBytes: peakResettable ? transferPeak : null,
      transferMaxSampledRssBytes: Math.max(...transferSamples.map((sample) => sample.rss)),
      rssAfterBytes: readStatus(pid).rss,
      samples: uploadSamples.length + transferSamples.length,
    });
  }

  progress("memory: stopping the server process");
  await stopChild(child);
  return {
    pid,
    port,
    sampleMs: options.sampleMs,
    chunkBytes: options.chunkBytes,
    idleRssBytes: started.rss,
    warmRssBytes,
    startupPeakRssBytes: started.hwm,
    peakResettable,
    rows,
  };
}
