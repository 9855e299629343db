// Runs the Prisma CLI offline. Prisma 6.19 would otherwise try to download
// native engines from its own server, which is out of reach; with these two
// variables set it uses the WebAssembly engines shipped in the npm package.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const prismaCli = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");

const configPath = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "prisma.config.ts");

export function runPrismaCli(
  provider: "sqlite" | "postgresql",
  args: string[],
  options: { capture?: boolean } = {},
): string {
  const output = execFileSync(process.execPath, [prismaCli, ...args, "--config", configPath], {
    timeout: 120_000,
    env: {
      ...process.env,
      SMSYNC_PRISMA_PROVIDER: provider,
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      PRISMA_QUERY_ENGINE_LIBRARY: prismaCli,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      CHECKPOINT_DISABLE: "1",
    },
    stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  return output ?? "";
}
