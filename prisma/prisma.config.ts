// Prisma CLI configuration for the offline WebAssembly schema engine.
// The schema engine runs over a driver adapter; which one follows the
// provider that scripts/prisma-cli.ts names in SMSYNC_PRISMA_PROVIDER.
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

const provider = process.env.SMSYNC_PRISMA_PROVIDER === "postgresql" ? "postgresql" : "sqlite";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: `${provider}/schema.prisma`,
  adapter: () =>
    Promise.resolve(
      provider === "postgresql"
        ? new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test" })
        : new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? "file::memory:" }),
    ),
});
