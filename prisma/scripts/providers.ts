// The two database providers and where each one's derived files live.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const prismaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const providers = ["sqlite", "postgresql"] as const;
export type Provider = (typeof providers)[number];

export const schemaPath = (provider: Provider) => path.join(prismaDir, provider, "schema.prisma");
export const migrationsDir = (provider: Provider) => path.join(prismaDir, provider, "migrations");
// The schema as of the newest migration; a difference from schema.prisma
// means a migration is missing.
export const snapshotPath = (provider: Provider) => path.join(migrationsDir(provider), "snapshot.prisma");

export function deriveSchema(provider: Provider): string {
  const models = readFileSync(path.join(prismaDir, "models.prisma"), "utf8");
  return `// GENERATED from prisma/models.prisma by \`npm run prisma:generate\`: do not edit.

generator client {
  provider     = "prisma-client"
  output       = "../../api/src/generated/prisma-${provider}"
  engineType   = "client"
  moduleFormat = "esm"
  runtime      = "nodejs"
}

datasource db {
  provider = "${provider}"
  // Unused at run time: api/src/database passes a driver adapter.
  url      = env("DATABASE_URL")
}

${models}`;
}
