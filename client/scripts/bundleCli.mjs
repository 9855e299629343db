// The CLI bundled into one CommonJS file, dist/smsync-cli/main.cjs, from the
// JavaScript tsc wrote in dist/ (`npm run build` runs tsc, then this): Node
// then parses one file instead of resolving and loading some 400 modules
// (the SDK's, graphql's, zod's, urql's, graphql-ws's), which cost about 0.15 s
// of every `smsync` run (docs/performance.md, "A small change, end to end").
// CommonJS, because bin/smsync.js compiles it with a V8 code cache
// (src/cli/codeCache.ts), which Node 20 offers for scripts and not for ES
// modules. better-sqlite3 and @parcel/watcher stay outside: each loads its
// native addon from its own directory (@parcel/watcher from the package of
// the platform's prebuilt).
import { rmSync } from "node:fs";
import { build } from "esbuild";

const outdir = "dist/smsync-cli";
// An earlier build's files (the split ES module chunks of before) would stay beside the new one.
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: { main: "dist/cli/main.js" },
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["better-sqlite3", "@parcel/watcher"],
  sourcemap: true,
  // The one `import.meta.url` of the CLI (cliVersion.ts) is the bundle's own URL: both sit two folders below package.json.
  define: { "import.meta.url": "smsyncBundleUrl" },
  banner: { js: 'const smsyncBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
