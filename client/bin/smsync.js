#!/usr/bin/env node
// The smsync command line client. It runs the CLI built into dist/ by `npm
// run build` (which `npm install` runs), so no TypeScript is compiled at
// start. `@smsync/client/cli` is this package's own entry: Node resolves it
// to dist/cli/bundledCli.js, which runs the CLI bundled into one file with a
// V8 code cache; under the @smsync/source condition (node
// --conditions=@smsync/source --import tsx, the tests' bundles) to
// src/cli/main.ts.

/** The CLI's module, or undefined (said on stderr) when the build has not run. */
async function loadCli() {
  try {
    return await import("@smsync/client/cli");
  } catch (error) {
    // A file of this package's dist/, or of another @smsync workspace's (the protocol's), that is not
    // there: the build has not run, or was cleaned. Anything else that fails to load is thrown as it is.
    const missing = error?.code === "ERR_MODULE_NOT_FOUND" ? String(error.url) : "";
    const notBuilt =
      missing.startsWith(new URL("../dist/", import.meta.url).href) ||
      /\/node_modules\/@smsync\/[^/]+\/dist\//.test(missing);
    if (!notBuilt) throw error;
    console.error(
      `smsync: the client is not built (${error.message}).\n` +
        "Run `npm run build` at the root of the smsync repository (npm install runs it too), then run smsync again.",
    );
    return undefined;
  }
}

const cli = await loadCli();
process.exitCode = cli ? await cli.main(process.argv.slice(2)) : 1;
