// The CLI bundled, in dist/smsync-cli/, from the JavaScript tsc wrote in
// dist/ (`npm run build` runs tsc, then this): Node then parses a few chunks
// instead of resolving and loading some 400 modules (the SDK's, graphql's,
// zod's, urql's, graphql-ws's), which cost about 0.15 s of every `smsync`
// run (docs/performance.md, "A small change, end to end"). better-sqlite3
// and @parcel/watcher stay outside: each loads its native addon from its own
// directory (@parcel/watcher from the package of the platform's prebuilt).
import { rmSync } from "node:fs";
import { build } from "esbuild";

const outdir = "dist/smsync-cli";
// Chunks are named by their content's hash: an earlier build's would stay beside the new ones.
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: ["dist/cli/main.js"],
  outdir,
  bundle: true,
  // The commands' imports stay lazy: `--version` loads the small first chunk only, `sync` the engine's chunk too.
  splitting: true,
  chunkNames: "[name]-[hash]",
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3", "@parcel/watcher"],
  sourcemap: true,
  // Bundled CommonJS packages (graphql, ws) call require for Node's own modules; an ES module has none.
  banner: {
    js: 'import { createRequire as smsyncCreateRequire } from "node:module";\nconst require = smsyncCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
});
