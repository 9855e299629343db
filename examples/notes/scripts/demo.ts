// `npm run demo`: builds the app, starts the smsync server with its embedded
// defaults (SQLite, the local directory as the cloud) on a data directory of
// the demo's own, creates a demo account with two devices the first time,
// serves the app with Vite's preview server, and prints one URL per device.
// The app is served from its own origin and calls the server across origins,
// as a deployed app would: the server's CORS list names the app's origin.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createRequire } from "node:module";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { build, preview } from "vite";
import { demoAccount } from "./demoAccount.ts";

const appDir = path.resolve(import.meta.dirname, "..");
// The server's workspace (its entry is src/index.ts), where src/main.ts is what `npm start` runs.
const apiDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve("@smsync/api")), "..");
const repositoryRoot = path.resolve(appDir, "../..");
const dataDir = path.join(appDir, "data");
const serverPort = Number(process.env.SMSYNC_PORT ?? 4000);
const appPort = Number(process.env.NOTES_PORT ?? 5173);
const serverUrl = `http://127.0.0.1:${serverPort}`;
const appUrl = `http://127.0.0.1:${appPort}`;
const serverEnvironment = { ...process.env, SMSYNC_DATA_DIR: dataDir, SMSYNC_PORT: String(serverPort) };

/**
 * What `npm start` runs, started as one process (npm and its shells would not
 * pass a signal on to it), its log in data/server.log; resolves once it listens.
 */
async function startServer(): Promise<ChildProcess> {
  const logPath = path.join(dataDir, "server.log");
  const log = createWriteStream(logPath, { flags: "a" });
  const server = spawn(process.execPath, ["--conditions=@smsync/source", "--import", "tsx", "src/main.ts"], {
    cwd: apiDir,
    env: { ...serverEnvironment, SMSYNC_CORS_ORIGINS: appUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stderr.pipe(log);
  await new Promise<void>((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening: see ${logPath}`)));
    server.stdout.on("data", (chunk: Buffer) => {
      log.write(chunk);
      if (chunk.toString().includes("smsync server listening")) resolve();
    });
  });
  return server;
}

await mkdir(dataDir, { recursive: true });
console.log("building the app (vite build)…");
await build({ root: appDir, logLevel: "warn" });
const account = await demoAccount(repositoryRoot, dataDir, serverEnvironment);
console.log(`starting the server on ${serverUrl} (data: ${path.relative(repositoryRoot, dataDir)})…`);
const server = await startServer();
const app = await preview({ root: appDir, logLevel: "warn", preview: { port: appPort } });

const deviceUrl = (device: { name: string; token: string }) =>
  `${appUrl}/#${new URLSearchParams({ server: serverUrl, token: device.token, device: device.name }).toString()}`;
console.log(`
smsync notes is running: account "${account.userName}", two devices.
  device 1: ${deviceUrl(account.devices[0])}
  device 2: ${deviceUrl(account.devices[1])}

Open the two in two browser windows side by side (a tab in the background pauses its syncing).
The server logs to ${path.relative(repositoryRoot, path.join(dataDir, "server.log"))}; GraphiQL: ${serverUrl}/graphql
Ctrl+C stops the server and the app.`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // The server finishes its transfers' current step, then exits.
  server.kill("SIGTERM");
  app.httpServer.close();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
server.once("exit", () => {
  stop();
  process.exitCode = stopping ? 0 : 1;
});
