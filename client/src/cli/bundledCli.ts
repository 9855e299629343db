// The `./cli` export of the built package (bin/smsync.js imports it): the
// CLI's main(argv), run from the bundle scripts/bundleCli.mjs writes
// (dist/smsync-cli/main.cjs, the CLI and its packages in one file), compiled
// with the V8 code cache of codeCache.ts. Under the @smsync/source condition
// the export is main.ts itself, run from its TypeScript.
//
// SMSYNC_CODE_CACHE=off compiles the bundle without the cache;
// SMSYNC_CODE_CACHE=report says on stderr what became of it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cacheFolder, runWithCodeCache } from "./codeCache.ts";

const bundleUrl = new URL("../smsync-cli/main.cjs", import.meta.url);
const bundle = fileURLToPath(bundleUrl);
// Said like a missing module, which the bin reports as a build that has not run.
if (!existsSync(bundle)) {
  throw Object.assign(new Error(`Cannot find module '${bundle}'`), {
    code: "ERR_MODULE_NOT_FOUND",
    url: bundleUrl.href,
  });
}

const cli = runWithCodeCache<{ main(argv: string[]): Promise<number> }>(
  bundle,
  process.env.SMSYNC_CODE_CACHE === "off" ? undefined : cacheFolder(),
);

export async function main(argv: string[]): Promise<number> {
  const code = await cli.exports.main(argv);
  // A command that runs the sync engine has compiled most of the CLI: what the next run can start from.
  const saved = (argv[0] === "sync" || argv[0] === "reset") && cli.saveCache();
  if (process.env.SMSYNC_CODE_CACHE === "report") {
    process.stderr.write(`smsync: code cache ${cli.cache}${saved ? ", written" : ""}\n`);
  }
  return code;
}
