// A server on the embedded defaults (SQLite, the local cloud, no Google, no
// Redis) loads none of the packages that only some configurations use: they
// are imported with import() where a configuration asks for them (app.ts,
// createCloudStorage.ts, migrate.ts, yoga.ts; pg through createRequire in
// client.ts). Each of them costs tens of milliseconds of CPU at every start;
// a static import anywhere on the server's import graph would load it again.
// esbuild's metafile gives the graph: only static imports are followed.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";

const apiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const optionalPackages = [
  "@googleapis/drive",
  "ioredis",
  "jose",
  "pg",
  "@prisma/adapter-pg",
  "@graphql-yoga/render-graphiql",
];

/** The packages that `entry` loads when it starts: its static imports, followed through our own files. */
async function packagesLoadedAtStart(entry: string): Promise<Set<string>> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    conditions: ["@smsync/source"],
    packages: "external",
    absWorkingDir: apiDir,
    logLevel: "silent",
  });
  const inputs: Metafile["inputs"] = metafile.inputs;
  const loaded = new Set<string>();
  const seen = new Set<string>();
  const pending = [path.relative(apiDir, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imported of inputs[file]?.imports ?? []) {
      if (imported.kind !== "import-statement") continue;
      if (imported.external) loaded.add(imported.path);
      else pending.push(imported.path);
    }
  }
  return loaded;
}

describe("the server's start", () => {
  it("loads no package that only some configurations use", async () => {
    const loaded = await packagesLoadedAtStart(path.join(apiDir, "src/main.ts"));
    // The graph was walked: the packages every server uses are there.
    expect([...loaded]).toEqual(expect.arrayContaining(["graphql-yoga", "better-sqlite3", "@tus/server"]));
    expect(optionalPackages.filter((name) => loaded.has(name))).toEqual([]);
  });
});
