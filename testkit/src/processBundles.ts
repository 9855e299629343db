// The processes that tests start again and again (the server for the crash
// tests, the CLI, the client crash fixture, the simulator's server) load
// their TypeScript through tsx, and most of a start is that: resolving,
// transforming and loading a few hundred modules through tsx's loader hooks
// (about 3 s of CPU for the server, of which 0.2 s is the server's own
// start). A test run bundles each such entry point once, with esbuild, in its
// vitest globalSetup (testRunSetup.ts), and `nodeArgs` starts the bundle
// instead: the same code, our workspaces' sources and the packages they
// import inlined, in about a fifth of the CPU (a server: 0.6 s, against
// 1.5 s with the packages loaded from node_modules, the way Node loads
// them, and 3 s through tsx). Without the setup (a script run by hand, `npm
// run sim`), or in watch mode, where the sources change under a run,
// `nodeArgs` runs the entry through tsx as before. Either way our workspaces
// are loaded from their TypeScript source (the @smsync/source condition of
// their exports), not from the dist/ that `npm run build` writes: a test
// sees every edit, built or not.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Where the current run's bundles are (set by the globalSetup, inherited by the test workers). */
export const bundleDirVariable = "SMSYNC_TEST_BUNDLE_DIR";
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const rootModules = path.join(repositoryRoot, "node_modules");

function bundleName(entry: string): string {
  return `${path
    .relative(repositoryRoot, entry)
    .replaceAll(path.sep, "__")
    .replace(/\.[cm]?[jt]s$/, "")}.mjs`;
}

/** Node's options that load our workspaces' TypeScript source: their exports' source condition, compiled by tsx. */
export const sourceNodeOptions = ["--conditions=@smsync/source", "--import", "tsx"];

/**
 * The arguments to start `entry` (an absolute path) with node: its bundle if
 * this run built one, otherwise the entry itself through tsx, with our
 * workspaces' source (a JavaScript entry too: the CLI's bin then loads
 * src/cli/main.ts rather than the built dist/cli/main.js).
 */
export function nodeArgs(entry: string): string[] {
  const dir = process.env[bundleDirVariable];
  if (dir) {
    const bundle = path.join(dir, bundleName(entry));
    if (existsSync(bundle)) return ["--enable-source-maps", bundle];
  }
  return [...sourceNodeOptions, entry];
}

/** Packages left out of the bundles, loaded by Node from node_modules: a native addon, found beside its package's files. */
const notBundled = ["better-sqlite3", "@parcel/watcher"];

/**
 * Bundles the entries into `dir`: our workspaces (@smsync/*) and the
 * packages they import, as Node would resolve them (no "module" field or
 * condition; our workspaces by their source), so that a process loads a few
 * files instead of resolving and reading hundreds of modules. With
 * splitting, what a process loads only when it needs it (import() of
 * googleapis, ioredis, jose, GraphiQL's page) is in chunks of its own, not
 * parsed at every start. The bundles sit below the root node_modules, where
 * a package left out (notBundled) resolves as it does from a workspace.
 */
export async function buildProcessBundles(entries: string[], dir: string): Promise<void> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: Object.fromEntries(entries.map((entry) => [bundleName(entry).replace(/\.mjs$/, ""), entry])),
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["main"],
    conditions: ["@smsync/source"],
    external: notBundled,
    sourcemap: true,
    // Each module keeps its own URL: its loader below declares it (the server finds its migrations and package.json by it).
    define: { "import.meta.url": "__smsyncModuleUrl" },
    // Bundled CommonJS packages call require for Node's own modules (and pg is required at run time); an ES module has none.
    banner: {
      js: 'import { createRequire as smsyncCreateRequire } from "node:module";\nconst require = smsyncCreateRequire(import.meta.url);',
    },
    logLevel: "error",
    plugins: [
      {
        name: "smsync-process-bundles",
        setup(esbuild) {
          esbuild.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
            const source = readFileSync(args.path, "utf8");
            // Left as it is (a "use strict" directive must stay first) unless it asks for its URL.
            if (!source.includes("import.meta")) return undefined;
            // After a shebang line, which must stay first.
            const shebang = source.startsWith("#!") ? source.slice(0, source.indexOf("\n") + 1) : "";
            const declaration = `const __smsyncModuleUrl = ${JSON.stringify(pathToFileURL(args.path).href)};`;
            return {
              contents: `${shebang}${declaration}${source.slice(shebang.length)}`,
              loader: /\.[cm]?js$/.test(args.path) ? "js" : "ts",
            };
          });
        },
      },
    ],
  });
}
