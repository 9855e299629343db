// Debian's Chromium for the tests that need a real browser (the browser SDK,
// GraphiQL, the example app), driven by playwright-core, which cannot
// download a browser of its own here. CI installs it (.ci/run); elsewhere
// the tests skip with a message when it is missing.
import { existsSync } from "node:fs";
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
