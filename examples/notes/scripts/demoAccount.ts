// The demo's account: a user with two devices, made once with the server's
// admin command (`npm run admin`); their tokens (shown only at creation,
// stored hashed by the server) are kept in data/devices.json so that
// the next `npm run demo` prints the same URLs.
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

export interface DemoAccount {
  userName: string;
  devices: [DemoDevice, DemoDevice];
}

export interface DemoDevice {
  name: string;
  token: string;
}

export class DemoAccountError extends Error {
  override name = "DemoAccountError";
}

const run = promisify(execFile);

export async function demoAccount(
  repositoryRoot: string,
  dataDir: string,
  environment: NodeJS.ProcessEnv,
): Promise<DemoAccount> {
  const admin = async (...args: string[]) =>
    (await run("npm", ["run", "-s", "admin", "--", ...args], { cwd: repositoryRoot, env: environment })).stdout;
  const users = (await admin("list-users")).split("\n").map((line) => line.split("\t")[0]);
  const saved = await readSaved(path.join(dataDir, "devices.json"));
  if (saved && users.includes(saved.userName)) return saved;

  // A new account (the saved tokens are gone, or the database was removed): a name not taken yet.
  let userName = "demo";
  for (let n = 2; users.includes(userName); n++) userName = `demo${n}`;
  const tokenOf = (output: string) => {
    const token = /^token: (\S+)$/m.exec(output)?.[1];
    if (!token) throw new DemoAccountError(`npm run admin printed no token:\n${output}`);
    return token;
  };
  const first: DemoDevice = {
    name: "device 1",
    token: tokenOf(await admin("add-user", userName, "--device", "device-1")),
  };
  const second: DemoDevice = { name: "device 2", token: tokenOf(await admin("add-device", userName, "device-2")) };
  const account: DemoAccount = { userName, devices: [first, second] };
  await writeFile(path.join(dataDir, "devices.json"), `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
  return account;
}

async function readSaved(file: string): Promise<DemoAccount | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as DemoAccount;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
