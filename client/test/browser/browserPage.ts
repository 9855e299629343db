// For the browser tests: Debian's Chromium (@smsync/testkit/chromium), and a
// page whose module is bundled with esbuild and served from 127.0.0.1 on a
// port of its own.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build, type Metafile } from "esbuild";

export { chromiumAvailable, chromiumPath, launchChromium } from "@smsync/testkit/chromium";

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
