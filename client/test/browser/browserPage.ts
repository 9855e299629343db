// For the browser tests: Debian's Chromium (headless, driven by
// playwright-core; CI installs it, elsewhere the tests are skipped with a
// message), and a page whose module is bundled with esbuild and served from
// 127.0.0.1 on a port of its own.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build, type Metafile } from "esbuild";
import { chromium, type Browser } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

/** Whether Chromium is here; outside CI its absence skips the browser tests (with a message), in CI it fails them. */
export function chromiumAvailable(what: string): boolean {
  const available = existsSync(chromiumPath);
  if (!available && process.env.CI)
    throw new Error(`${chromiumPath} is missing: CI must install chromium (see .ci/run)`);
  if (!available) console.warn(`skipping ${what}: no ${chromiumPath} (apt-get install chromium)`);
  return available;
}

export interface ServedPage {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What esbuild bundled (the module graph of the page). */
  inputs: Metafile["inputs"];
  close(): Promise<void>;
}

/** Bundles `entry` for the browser and serves it as the module of an empty page at every path. */
export async function servePage(entry: string): Promise<ServedPage> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    // Our workspaces by their TypeScript source (their exports' source condition), as the rest of the tests.
    conditions: ["@smsync/source"],
    write: false,
    metafile: true,
  });
  const [output] = bundle.outputFiles;
  if (!output) throw new Error(`esbuild wrote no bundle of ${entry}`);
  const script = output.text;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith("/page.js")) {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end('<!doctype html><title>smsync</title><script type="module" src="/page.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inputs: bundle.metafile.inputs,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Chromium with the flags that work on these machines (a fresh profile per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
