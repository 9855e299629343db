// Derives each provider's schema from prisma/models.prisma and generates its
// client into api/src/generated. With --check, only verifies that the
// committed derived schemas and migration snapshots are current (run in CI).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { deriveSchema, providers, schemaPath, snapshotPath } from "./providers.ts";
import { runPrismaCli } from "./prisma-cli.ts";

const check = process.argv.includes("--check");
const problems: string[] = [];

for (const provider of providers) {
  const schema = deriveSchema(provider);
  const current = existsSync(schemaPath(provider)) ? readFileSync(schemaPath(provider), "utf8") : "";
  if (check) {
    if (current !== schema) problems.push(`${schemaPath(provider)} is out of date: run \`npm run prisma:generate\``);
    const snapshot = existsSync(snapshotPath(provider)) ? readFileSync(snapshotPath(provider), "utf8") : "";
    if (snapshot !== schema) {
      problems.push(
        `prisma/models.prisma has changes without a ${provider} migration: run \`npm run prisma:migration -- <name>\``,
      );
    }
    continue;
  }
  if (current !== schema) writeFileSync(schemaPath(provider), schema);
  runPrismaCli(provider, ["generate", "--no-hints", "--schema", schemaPath(provider)]);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
if (check) console.log("prisma: derived schemas and migrations are current");
