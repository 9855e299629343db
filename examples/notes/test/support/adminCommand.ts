// The operator's admin command (`npm run admin -- <command>`) against the test
// server's database; what it prints.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { ProcessServer } from "@smsync/testkit";

const repositoryRoot = path.resolve(import.meta.dirname, "../../../..");

export async function adminCommand(server: ProcessServer, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("npm", ["run", "-s", "admin", "--", ...args], {
    cwd: repositoryRoot,
    env: server.environment(),
  });
  return stdout;
}
