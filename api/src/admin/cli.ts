// The operator's command: users, devices and tokens for the embedded default.
//   npm run admin -- add-user alice [--device phone]
//   npm run admin -- add-device alice laptop
//   npm run admin -- revoke-device alice laptop
//   npm run admin -- list-users
import { parseArgs } from "node:util";
import { addDevice, addUser, AdminError, listUsers, revokeDeviceTokens } from "../auth/users.ts";
import { loadConfig, ConfigError } from "../config/config.ts";
import { openDatabase } from "../database/client.ts";
import { migrate } from "../database/migrate.ts";
import { mkdirSync } from "node:fs";

const usage = `usage: npm run admin -- <command>
  add-user <name> [--device <device name>]   create a user and a first device; prints its token
  add-device <user> <device name>            create another device; prints its token
  revoke-device <user> <device name>         revoke every token of a device
  list-users                                 list users and their devices`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { device: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  await migrate(config.databaseUrl);
  const db = openDatabase(config.databaseUrl);
  try {
    switch (command) {
      case "add-user": {
        const [userName, ...extra] = rest;
        if (userName === undefined || extra.length > 0) break;
        const created = await addUser(db, userName, values.device ?? "default");
        console.log(`created user ${userName} with device ${values.device ?? "default"}`);
        console.log(`token: ${created.token}`);
        return 0;
      }
      case "add-device": {
        const [userName, deviceName, ...extra] = rest;
        if (userName === undefined || deviceName === undefined || extra.length > 0) break;
        const created = await addDevice(db, userName, deviceName);
        console.log(`created device ${deviceName} for user ${userName}`);
        console.log(`token: ${created.token}`);
        return 0;
      }
      case "revoke-device": {
        const [userName, deviceName, ...extra] = rest;
        if (userName === undefined || deviceName === undefined || extra.length > 0) break;
        const count = await revokeDeviceTokens(db, userName, deviceName);
        console.log(`revoked ${count} token(s) of device ${deviceName} of user ${userName}`);
        return 0;
      }
      case "list-users": {
        for (const user of await listUsers(db)) {
          console.log(`${user.name}\t${user.devices.map((device) => device.name).join(", ")}`);
        }
        return 0;
      }
    }
    console.error(usage);
    return 2;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof AdminError || error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    console.error(error);
    process.exit(1);
  },
);
