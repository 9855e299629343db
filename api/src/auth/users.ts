// Creating users and their devices for the embedded default (local tokens).
import { randomUUID } from "node:crypto";
import type { Database } from "../database/client.ts";
import { issueDeviceToken } from "./deviceTokens.ts";

const namePattern = /^[A-Za-z0-9._@-]{1,64}$/;

export class AdminError extends Error {
  override name = "AdminError";
}

export interface NewDevice {
  userId: string;
  deviceId: string;
  token: string;
}

function checkName(kind: string, name: string): void {
  if (!namePattern.test(name)) {
    throw new AdminError(`${kind} name must be 1-64 letters, digits or . _ @ - (got ${JSON.stringify(name)})`);
  }
}

export async function addUser(db: Database, userName: string, deviceName = "default"): Promise<NewDevice> {
  checkName("user", userName);
  checkName("device", deviceName);
  return db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { name: userName } })) {
      throw new AdminError(`user ${userName} already exists (add a device with add-device)`);
    }
    const userId = randomUUID();
    const deviceId = randomUUID();
    await tx.user.create({ data: { id: userId, name: userName } });
    await tx.lock.create({ data: { userId } });
    await tx.device.create({ data: { id: deviceId, userId, name: deviceName } });
    return { userId, deviceId, token: await issueDeviceToken(tx, deviceId) };
  });
}

export async function addDevice(db: Database, userName: string, deviceName: string): Promise<NewDevice> {
  checkName("device", deviceName);
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { name: userName } });
    if (!user) throw new AdminError(`no user named ${userName}`);
    if (await tx.device.findUnique({ where: { userId_name: { userId: user.id, name: deviceName } } })) {
      throw new AdminError(`user ${userName} already has a device named ${deviceName}`);
    }
    const deviceId = randomUUID();
    await tx.device.create({ data: { id: deviceId, userId: user.id, name: deviceName } });
    return { userId: user.id, deviceId, token: await issueDeviceToken(tx, deviceId) };
  });
}

export async function revokeDeviceTokens(db: Database, userName: string, deviceName: string): Promise<number> {
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { name: userName } });
    const device = user
      ? await tx.device.findUnique({ where: { userId_name: { userId: user.id, name: deviceName } } })
      : null;
    if (!device) throw new AdminError(`no device ${deviceName} for user ${userName}`);
    const { count } = await tx.token.updateMany({
      where: { deviceId: device.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count;
  });
}

export async function listUsers(db: Database) {
  return db.user.findMany({ orderBy: { name: "asc" }, include: { devices: { orderBy: { name: "asc" } } } });
}
