// Production mode (config/deploymentMode.ts, docs/deploy.md) on the real
// server process: selected by SMSYNC_ENV=production or NODE_ENV=production,
// it refuses to start without SMSYNC_PUBLIC_URL and a list of CORS origins,
// serves no GraphiQL and refuses introspection; the start log names the mode.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeArgs, ProcessServer, ServerProcess } from "@smsync/testkit";

const apiDir = path.resolve(import.meta.dirname, "../..");
const publicUrl = "https://sync.example.com";
const appOrigin = "https://app.example.com";
const listeningMessage = "smsync server listening";

/**
 * Runs the server process expected to refuse its start: its exit code and
 * what it wrote to stderr. A process that starts listening instead is ended,
 * and reported with code "listening".
 */
function refusedStart(env: NodeJS.ProcessEnv): Promise<{ code: number | "listening" | null; stderr: string }> {
  const child = spawn(process.execPath, nodeArgs(path.join(apiDir, "src/main.ts")), {
    cwd: apiDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.includes(listeningMessage)) child.kill("SIGKILL");
  });
  return new Promise((resolve) =>
    child.once("close", (code) => resolve({ code: stdout.includes(listeningMessage) ? "listening" : code, stderr })),
  );
}

/** The server's variables without SMSYNC_ENV, so that NODE_ENV alone decides. */
function withoutSmsyncEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { SMSYNC_ENV: _ignored, ...rest } = env;
  return rest;
}

function listeningRecord(process: ServerProcess) {
  return process.logRecords().find((record) => record.msg === listeningMessage);
}

/** Whether GET /graphql answers a browser (Accept: text/html) with GraphiQL's page. */
async function servesGraphiql(url: string): Promise<boolean> {
  const response = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
  const body = await response.text();
  return (
    response.status === 200 && /text\/html/.test(response.headers.get("content-type") ?? "") && /graphiql/i.test(body)
  );
}

async function introspectionErrors(url: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }),
  });
  return JSON.stringify(((await response.json()) as { errors?: unknown }).errors ?? null);
}

let server: ProcessServer;
beforeAll(async () => {
  server = await ProcessServer.create();
});
afterAll(async () => {
  await server?.close();
});

describe("production mode refuses to start", () => {
  it("without SMSYNC_PUBLIC_URL and CORS origins, when NODE_ENV=production alone selects it", async () => {
    const { code, stderr } = await refusedStart(withoutSmsyncEnv(server.environment({ NODE_ENV: "production" })));
    expect(code).toBe(2);
    expect(stderr).toMatch(/SMSYNC_PUBLIC_URL: is required in production mode/);
    expect(stderr).toMatch(/SMSYNC_CORS_ORIGINS: must list the browser origins/);
  });

  it("with SMSYNC_CORS_ORIGINS=*", async () => {
    const { code, stderr } = await refusedStart(
      server.environment({ SMSYNC_ENV: "production", SMSYNC_PUBLIC_URL: publicUrl, SMSYNC_CORS_ORIGINS: "*" }),
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/SMSYNC_CORS_ORIGINS/);
    expect(stderr).not.toMatch(/SMSYNC_PUBLIC_URL/);
  });
});

describe("a server in production mode", () => {
  it("says so at start, serves no GraphiQL and refuses introspection", async () => {
    const running = await server.start({
      SMSYNC_ENV: "production",
      SMSYNC_PUBLIC_URL: publicUrl,
      SMSYNC_CORS_ORIGINS: appOrigin,
    });
    try {
      expect(listeningRecord(running)).toMatchObject({ mode: "production" });
      expect(await servesGraphiql(server.url)).toBe(false);
      expect(await introspectionErrors(server.url)).toMatch(/introspection/i);
    } finally {
      await server.stop();
    }
  });

  it("serves them when SMSYNC_GRAPHIQL and SMSYNC_INTROSPECTION ask for them", async () => {
    await server.start({
      SMSYNC_ENV: "production",
      SMSYNC_PUBLIC_URL: publicUrl,
      SMSYNC_CORS_ORIGINS: appOrigin,
      SMSYNC_GRAPHIQL: "true",
      SMSYNC_INTROSPECTION: "true",
    });
    try {
      expect(await servesGraphiql(server.url)).toBe(true);
      expect(await introspectionErrors(server.url)).toBe("null");
    } finally {
      await server.stop();
    }
  });
});

describe("SMSYNC_ENV=development", () => {
  it("wins over NODE_ENV=production: no public URL needed, GraphiQL served, the log says development", async () => {
    const running = await server.start({ NODE_ENV: "production", SMSYNC_ENV: "development" });
    try {
      expect(listeningRecord(running)).toMatchObject({ mode: "development" });
      expect(await servesGraphiql(server.url)).toBe(true);
      expect(await introspectionErrors(server.url)).toBe("null");
    } finally {
      await server.stop();
    }
  });
});
