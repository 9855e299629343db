// Device tokens: 32 random bytes, shown once, stored as their SHA-256.
// A hash without salt is enough here: the token is random and long, so it
// cannot be guessed from a dictionary.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { Prisma } from "../generated/prisma-sqlite/client.ts";
import { readOnlyRaw, type Database, type Transaction } from "../database/client.ts";

const tokenPrefix = "smsync_";

export interface Caller {
  userId: string;
  userName: string;
  deviceId: string;
  deviceName: string;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function issueDeviceToken(tx: Transaction, deviceId: string): Promise<string> {
  const token = tokenPrefix + randomBytes(32).toString("base64url");
  await tx.token.create({ data: { id: randomUUID(), deviceId, tokenHash: hashToken(token) } });
  return token;
}

/** The caller behind a bearer token, or null for a missing, unknown or revoked one. */
/** The device token of an Authorization header (Bearer, or the token alone), if any. */
export function tokenOfAuthorization(authorization: string | null | undefined): string | null {
  const value = authorization?.trim();
  if (!value) return null;
  return /^Bearer\s+(\S+)$/i.exec(value)?.[1] ?? value;
}

export async function authenticate(db: Database, authorization: string | null | undefined): Promise<Caller | null> {
  const token = tokenOfAuthorization(authorization);
  if (!token?.startsWith(tokenPrefix)) return null;
  // Every request asks this: one join, not Prisma's three queries for the relations.
  const [row] = await readOnlyRaw<Caller & { revoked: boolean | number | bigint }>(
    db,
    Prisma.sql`SELECT d."userId", u."name" AS "userName", t."deviceId", d."name" AS "deviceName",
      t."revokedAt" IS NOT NULL AS "revoked"
      FROM "Token" t JOIN "Device" d ON d."id" = t."deviceId" JOIN "User" u ON u."id" = d."userId"
      WHERE t."tokenHash" = ${hashToken(token)}`,
  );
  if (!row || Boolean(Number(row.revoked))) return null;
  return { userId: row.userId, userName: row.userName, deviceId: row.deviceId, deviceName: row.deviceName };
}
