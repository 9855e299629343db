// The processes that tests start again and again (the server for the crash
// tests, the CLI, the client crash fixture, the simulator's server) load
// their TypeScript through tsx, and most of a start is that: resolving,
// transforming and loading a few hundred modules through tsx's loader hooks
// (about 3 s of CPU for the server, of which 0.2 s is the server's own
// start). A test run bundles each such entry point once, with esbuild, in its
// vitest globalSetup (testRunSetup.ts), and `nodeArgs` starts the
// bundle instead: the same code (our workspaces' sources inlined, packages
// loaded from node_modules as Node would load them), in about a third of the
// CPU. Without the setup (a script run by hand, `npm run sim`), or in watch
// mode, where the sources change under a run, `nodeArgs` runs the entry
// through tsx as before. Either way our workspaces are loaded from their
// TypeScript source (the @smsync/source condition of their exports), not
// from the dist/ that `npm run build` writes: a test sees every edit, built
// or not.
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

/** The package name of a bare specifier ("@scope/name/sub" -> "@scope/name"). */
function packageOf(specifier: string): string {
  const [first = specifier, second] = specifier.split("/");
  return specifier.startsWith("@") && second !== undefined ? `${first}/${second}` : first;
}

/**
 * Bundles the entries into `dir`. Our workspaces (@smsync/*) are inlined;
 * packages stay imports, loaded by Node at run time. The bundles sit below
 * the root node_modules, so a package import resolves from there, as it does
 * from a workspace; one a workspace has in its own node_modules (another
 * version than the root's) is imported by the path esbuild resolved from the
 * importing file.
 */
export async function buildProcessBundles(entries: string[], dir: string): Promise<void> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: Object.fromEntries(entries.map((entry) => [bundleName(entry).replace(/\.mjs$/, ""), entry])),
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // As Node resolves an import: no "module" field or condition; but our workspaces by their source.
    mainFields: ["main"],
    conditions: ["@smsync/source"],
    sourcemap: true,
    // Each module keeps its own URL: its loader below declares it (the server finds its migrations and package.json by it).
    define: { "import.meta.url": "__smsyncModuleUrl" },
    logLevel: "error",
    plugins: [
      {
        name: "smsync-process-bundles",
        setup(esbuild) {
          esbuild.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.path.startsWith("@smsync/") || args.path.startsWith("node:") || args.pluginData === "inner") {
              return undefined;
            }
            const resolved = await esbuild.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              importer: args.importer,
              pluginData: "inner",
            });
            if (resolved.errors.length > 0 || !resolved.path) return { path: args.path, external: true };
            const fromRoot = resolved.path.startsWith(path.join(rootModules, packageOf(args.path)) + path.sep);
            return { path: fromRoot ? args.path : pathToFileURL(resolved.path).href, external: true };
          });
          esbuild.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
            const source = readFileSync(args.path, "utf8");
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
