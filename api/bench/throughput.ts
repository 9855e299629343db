// Figure 1: upload throughput through the tus endpoint against a plain
// node:http upload to disk, measured in the same process, on the same disk,
// alternating the methods within each repetition.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestServer } from "@smsync/testkit";
import { startBaselineServer } from "./baseline.ts";
import { hashContent, MiB } from "./content.ts";
import { rawTusUpload, type GeneratedUpload, type TusTarget } from "./tusRaw.ts";
import { tusJsClientUpload } from "./tusJsClient.ts";
import { collectGarbage, median, onCleanup, progress, trackDir } from "@smsync/testkit/bench";

export interface ThroughputOptions {
  sizeBytes: number;
  chunkBytes: number;
  reps: number;
}

export interface ThroughputRow {
  method: string;
  client: string;
  requests: number;
  /** MB/s (10^6 bytes per second) of each repetition, in order. */
  runsMBps: number[];
  medianMBps: number;
  bestMBps: number;
  /** The median over repetitions of (this run's MB/s / the baseline's MB/s in the same repetition). */
  ratioToBaseline: number;
}

export interface ThroughputResult {
  sizeBytes: number;
  chunkBytes: number;
  reps: number;
  rows: ThroughputRow[];
}

interface Method {
  method: string;
  client: string;
  requests: number;
  /** Uploads `size` bytes; resolves with a function that discards what was stored (not timed). */
  run(size: number, sha256: string): Promise<() => Promise<void>>;
}

export async function measureThroughput(server: TestServer, options: ThroughputOptions): Promise<ThroughputResult> {
  const { sizeBytes, chunkBytes, reps } = options;
  const baselineDir = trackDir(mkdtempSync(path.join(tmpdir(), "smsync-bench-baseline-")));
  const baseline = await startBaselineServer(baselineDir);
  onCleanup("baseline server", () => baseline.close());

  const device = await server.newUser();
  const target: TusTarget = { baseUrl: server.url, token: device.token! };
  const { staging, db } = server.app.services;
  // A completed upload cannot be terminated over tus (disableTerminationForFinishedUploads);
  // the bench removes it as the staging sweeper would, so the next run starts from the same disk state.
  const discardTus = (uploadId: string) => async () => {
    // In a transaction: on SQLite a write outside one fails (it would reach the read-only connection).
    await db.$transaction((tx) => tx.stagedUpload.deleteMany({ where: { id: uploadId } }));
    staging.removeUpload(uploadId);
  };
  const tusUpload = async (upload: typeof rawTusUpload, size: number, sha256: string, chunk: number) => {
    // Renewing the lock (the holder gets the same grant) keeps it alive across long runs.
    const { fencingToken } = await device.lock(600);
    const spec: GeneratedUpload = { size, sha256, fencingToken, chunkBytes: chunk };
    const { uploadId } = await upload(target, spec);
    return discardTus(uploadId);
  };
  const chunkRequests = Math.ceil(sizeBytes / chunkBytes);
  const methods: Method[] = [
    {
      method: "baseline: node:http PUT -> file",
      client: "node:http, 1 request",
      requests: 1,
      run: async (size) => {
        const file = await baseline.upload(size);
        return () => baseline.discard(file);
      },
    },
    {
      method: "tus, whole file in 1 PATCH",
      client: "node:http (raw tus)",
      requests: 2,
      run: (size, sha256) => tusUpload(rawTusUpload, size, sha256, Infinity),
    },
    {
      method: `tus, ${chunkBytes / MiB} MiB PATCHes`,
      client: "node:http (raw tus)",
      requests: 1 + chunkRequests,
      run: (size, sha256) => tusUpload(rawTusUpload, size, sha256, chunkBytes),
    },
    {
      method: `tus, ${chunkBytes / MiB} MiB PATCHes`,
      client: "tus-js-client 4, stream",
      requests: 1 + chunkRequests,
      run: (size, sha256) => tusUpload(tusJsClientUpload, size, sha256, chunkBytes),
    },
  ];

  // Warm-up (not measured): compiles the code paths and opens the connections.
  const warmSize = Math.min(sizeBytes, 8 * MiB);
  const warmSha = hashContent(warmSize);
  for (const method of methods) await (await method.run(warmSize, warmSha))();

  progress(`throughput: hashing the ${sizeBytes / MiB} MiB content (first pass)`);
  const sha256 = hashContent(sizeBytes);
  const measured = methods.map((method) => ({ method, runsMBps: [] as number[] }));
  const baselineRuns = measured[0]?.runsMBps ?? [];
  for (let rep = 0; rep < reps; rep++) {
    for (const { method, runsMBps } of measured) {
      collectGarbage();
      const started = performance.now();
      const discard = await method.run(sizeBytes, sha256);
      const seconds = (performance.now() - started) / 1000;
      await discard();
      const mbps = sizeBytes / 1e6 / seconds;
      runsMBps.push(mbps);
      progress(`throughput: rep ${rep + 1}/${reps} ${method.method} [${method.client}]: ${mbps.toFixed(0)} MB/s`);
    }
  }
  return {
    sizeBytes,
    chunkBytes,
    reps,
    rows: measured.map(({ method, runsMBps }) => ({
      method: method.method,
      client: method.client,
      requests: method.requests,
      runsMBps,
      medianMBps: median(runsMBps),
      bestMBps: Math.max(...runsMBps),
      // Paired by repetition: load on a shared machine drifts more between repetitions than within one.
      ratioToBaseline: median(runsMBps.map((mbps, rep) => mbps / (baselineRuns[rep] ?? NaN))),
    })),
  };
}
