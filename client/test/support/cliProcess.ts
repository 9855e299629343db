// Runs the smsync command line client as a person would: its bin, in its
// own process, with its login kept in the given config file.
import { spawn } from "node:child_process";
import path from "node:path";

const bin = path.resolve(import.meta.dirname, "../../bin/smsync.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(configFile: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SMSYNC_CONFIG: configFile } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
