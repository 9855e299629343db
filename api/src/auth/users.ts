// Creating users and their devices for the embedded default (local tokens).
import { randomUUID } from "node:crypto";
import type { Database, Transaction } from "../database/client.ts";
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

export function isValidName(name: string): boolean {
  return namePattern.test(name);
}

function checkName(kind: string, name: string): void {
  if (!isValidName(name)) {
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
    return createDevice(tx, await createUser(tx, userName), deviceName);
  });
}

/** A user's rows (the user and their lock), in the caller's transaction; returns the user's id. */
export async function createUser(tx: Transaction, userName: string): Promise<string> {
  const userId = randomUUID();
  await tx.user.create({ data: { id: userId, name: userName } });
  await tx.lock.create({ data: { userId } });
  return userId;
}

/** A new device of a user and its first token, in the caller's transaction. */
export async function createDevice(tx: Transaction, userId: string, deviceName: string): Promise<NewDevice> {
  const deviceId = randomUUID();
  await tx.device.create({ data: { id: deviceId, userId, name: deviceName } });
  return { userId, deviceId, token: await issueDeviceToken(tx, deviceId) };
}

export async function addDevice(db: Database, userName: string, deviceName: string): Promise<NewDevice> {
  checkName("device", deviceName);
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { name: userName } });
    if (!user) throw new AdminError(`no user named ${userName}`);
    if (await tx.device.findUnique({ where: { userId_name: { userId: user.id, name: deviceName } } })) {
      throw new AdminError(`user ${userName} already has a device named ${deviceName}`);
    }
    return createDevice(tx, user.id, deviceName);
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
