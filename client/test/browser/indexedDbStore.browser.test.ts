// The IndexedDB store in a real browser: Debian's Chromium, headless, driven
// by playwright-core (a fresh profile per launch), on a page served from
// 127.0.0.1; the data must survive a reload. CI installs Chromium (.ci/run); elsewhere the test is skipped
// with a message when there is no /usr/bin/chromium.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const chromiumPath = "/usr/bin/chromium";
const available = existsSync(chromiumPath);
if (!available && process.env.CI) throw new Error(`${chromiumPath} is missing: CI must install chromium (see .ci/run)`);
if (!available) console.warn(`skipping the browser test: no ${chromiumPath} (apt-get install chromium)`);

let server: Server;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  if (!available) return;
  const bundle = await build({
    entryPoints: [path.join(import.meta.dirname, "indexedDbPage.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
  });
  const script = bundle.outputFiles[0].text;
  server = createServer((req, res) => {
    if (req.url?.startsWith("/page.js")) {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else {
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>smsync</title><script type="module" src="/page.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
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
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

describe.skipIf(!available)("IndexedDbStore in Chromium", () => {
  it("keeps key order, JSON semantics and all-or-nothing commits, and its data across a reload", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${baseUrl}/?visit=first`);
    await page.waitForFunction(() => window.smsyncResult !== undefined);
    const first = await page.evaluate(() => window.smsyncResult);
    expect(first).toEqual({ ok: true, order: [9, 10], date: "1970-01-01T00:00:00.000Z", refused: true, modeAfterRefusal: "idle" });

    await page.goto(`${baseUrl}/?visit=second`);
    await page.waitForFunction(() => window.smsyncResult !== undefined);
    expect(await page.evaluate(() => window.smsyncResult)).toEqual({ ok: true, modeAfterReload: "idle", batches: 2 });
    await context.close();
  });
});
