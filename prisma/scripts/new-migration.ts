// Writes a migration for both providers from the difference between the
// schema as of the last migration (its snapshot) and prisma/models.prisma.
//   npm run prisma:migration -- add_something
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deriveSchema, migrationsDir, providers, schemaPath, snapshotPath } from "./providers.ts";
import { runPrismaCli } from "./prisma-cli.ts";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run prisma:migration -- <name in lower_snake_case>");
  process.exit(2);
}

for (const provider of providers) {
  const dir = migrationsDir(provider);
  mkdirSync(dir, { recursive: true });
  const schema = deriveSchema(provider);
  writeFileSync(schemaPath(provider), schema);
  const from = existsSync(snapshotPath(provider))
    ? ["--from-schema-datamodel", snapshotPath(provider)]
    : ["--from-empty"];
  const sql = runPrismaCli(
    provider,
    ["migrate", "diff", ...from, "--to-schema-datamodel", schemaPath(provider), "--script"],
    { capture: true },
  );
  if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
    console.log(`${provider}: no changes`);
    continue;
  }
  const number = readdirSync(dir).filter((entry) => /^\d{4}_/.test(entry)).length + 1;
  const migrationDir = path.join(dir, `${String(number).padStart(4, "0")}_${name}`);
  mkdirSync(migrationDir);
  writeFileSync(path.join(migrationDir, "migration.sql"), sql);
  writeFileSync(snapshotPath(provider), schema);
  console.log(`${provider}: wrote ${path.relative(process.cwd(), migrationDir)}/migration.sql`);
}
