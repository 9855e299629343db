// The operator revoking a device's tokens with the admin command
// (`npm run admin -- revoke-device`), against the test server's database.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { ProcessServer } from "@smsync/testkit";

const repositoryRoot = path.resolve(import.meta.dirname, "../../../..");

export async function revokeDevice(server: ProcessServer, userName: string, deviceName: string): Promise<void> {
  await promisify(execFile)("npm", ["run", "-s", "admin", "--", "revoke-device", userName, deviceName], {
    cwd: repositoryRoot,
    env: server.environment(),
  });
}
