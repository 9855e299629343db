// Debian's Chromium, headless, driven by playwright-core, for the browser
// tests of every workspace (CI installs it, see .ci/run; elsewhere those
// tests are skipped with a message).
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
