// A closed-loop HTTP load generator: `concurrency` workers, each sending the
// same POST again as soon as the last answer arrived, for a fixed time. Plain
// node:http with its own keep-alive agent (one socket per worker): cheaper
// per request than fetch, so the bench process is less often the bottleneck.
import http from "node:http";
import { percentile } from "./percentile.ts";

export interface LoadOptions {
  url: string;
  headers: http.OutgoingHttpHeaders;
  body: string;
  concurrency: number;
  durationMs: number;
  /** Checks each answer's body; throws to stop the run (a wrong answer is no throughput). */
  check?: (status: number, body: string) => void;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function post(agent: http.Agent, options: LoadOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(options.url, { method: "POST", headers: options.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    request.on("error", reject);
    request.end(options.body);
  });
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const answer = await post(agent, options);
      latencies.push(performance.now() - sent);
      options.check?.(answer.status, answer.body);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}
