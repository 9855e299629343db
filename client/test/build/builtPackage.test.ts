// The package as an app consumes it: package.json's exports lead, without the
// @smsync/source condition, to the JavaScript and declarations that
// `npm run build` wrote into dist/, and the built browser entry bundles for a
// browser without Node's modules (the "browser" field maps the built
// nodeFiles.js as it maps the source's). The other tests run the source.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { clientDir, requireBuild } from "../support/built.ts";

interface ExportEntry {
  "@smsync/source": string;
  types: string;
  default: string;
}

const manifest = JSON.parse(readFileSync(path.join(clientDir, "package.json"), "utf8")) as {
  exports: Record<string, ExportEntry>;
};

describe("the built @smsync/client", () => {
  beforeAll(requireBuild);

  it("has the built file and the declarations of every export, beside its source", () => {
    const missing = Object.entries(manifest.exports).flatMap(([name, entry]) =>
      [entry["@smsync/source"], entry.types, entry.default, `${entry.default}.map`, `${entry.types}.map`]
        .filter((file) => !existsSync(path.join(clientDir, file)))
        .map((file) => `${name}: ${file}`),
    );
    expect(missing).toEqual([]);
  });

  it("bundles its browser entry from dist/ without ws, node:fs or the Node platform", async () => {
    const bundle = await build({
      stdin: { contents: 'export * from "@smsync/client/browser";', resolveDir: clientDir, loader: "js" },
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs).toContain("dist/browser/BrowserSmsyncClient.js");
    expect(inputs.filter((input) => input.includes("src/"))).toEqual([]);
    expect(inputs).toContain("(disabled):dist/transfers/nodeFiles.js");
    const bundled = inputs.filter((input) => !input.startsWith("(disabled)"));
    expect(
      bundled.filter((input) => /node_modules\/ws\/|nodePlatform|downloader\.js|nodeFiles\.js|SqliteStore/.test(input)),
    ).toEqual([]);
  });
});
