// The operator revoking a device's tokens with the admin command
// (`npm run admin -- revoke-device`).
import type { ProcessServer } from "@smsync/testkit";
import { adminCommand } from "./adminCommand.ts";

export async function revokeDevice(server: ProcessServer, userName: string, deviceName: string): Promise<void> {
  await adminCommand(server, "revoke-device", userName, deviceName);
}
