// One device of the account: the app in a browser context of its own (its
// own IndexedDB, its own network switch), driven as a person drives it, by
// the labels and roles the page shows.
import { createHash } from "node:crypto";
import path from "node:path";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";

const screenshotDir = path.resolve(import.meta.dirname, "../../screenshots");

export interface DeviceOptions {
  appUrl: string;
  serverUrl: string;
  token: string;
  label: string;
  viewport: { width: number; height: number };
  /**
   * A nearly full disk: the storage quota of the app's origin (the SDK's and
   * the app's IndexedDB databases, the offline shell's cache), in bytes. Set
   * before the page opens: Chromium's IndexedDB reads the quota again only
   * when a write exceeds the room it last read (or some 30 s later).
   */
  storageQuota?: number;
}

/** A DevTools protocol session on the page, its network domain on (for throttleUploads). */
async function devtoolsOf(context: BrowserContext, page: Page): Promise<CDPSession> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  return cdp;
}

export class DevicePage {
  private cdp: CDPSession | null = null;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    /** `#server=…&token=…&device=…`: what signs a page in as this device. */
    readonly deviceFragment: string,
  ) {}

  /** Opens the URL `npm run demo` prints for a device: the session in the fragment. */
  static async open(browser: Browser, options: DeviceOptions): Promise<DevicePage> {
    const context = await browser.newContext({ viewport: options.viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    const cdp = options.storageQuota === undefined ? null : await devtoolsOf(context, page);
    const origin = new URL(options.appUrl).origin;
    await cdp?.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: options.storageQuota });
    const fragment = new URLSearchParams({ server: options.serverUrl, token: options.token, device: options.label });
    const deviceFragment = `#${fragment.toString()}`;
    await page.goto(`${options.appUrl}/${deviceFragment}`);
    await page.getByRole("heading", { name: /smsync notes/ }).waitFor();
    // The offline shell is in place before a test takes the network away.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const device = new DevicePage(context, page, deviceFragment);
    device.cdp = cdp;
    return device;
  }

  /**
   * Opens the app's sign-in form and signs in with Google (whose consent page
   * the test's fake answers): the session comes back from the server, not
   * from a fragment. `beforeClick` sees the form as the person does.
   */
  static async signInWithGoogle(
    browser: Browser,
    options: Omit<DeviceOptions, "token"> & { beforeClick?: (page: Page) => Promise<void> },
  ): Promise<DevicePage> {
    const context = await browser.newContext({ viewport: options.viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`${options.appUrl}/`);
    await page.getByLabel("Server URL").fill(options.serverUrl);
    await page.getByLabel("Server URL").press("Tab");
    await page.getByLabel("Name of this device").fill(options.label);
    const button = page.getByRole("button", { name: "Sign in with Google" });
    await button.waitFor();
    await options.beforeClick?.(page);
    await button.click();
    await page.getByRole("button", { name: "New note" }).waitFor();
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    return new DevicePage(context, page, "");
  }

  private fileButton(name: string) {
    return this.page
      .locator("button.file")
      .filter({ has: this.page.locator(".name").getByText(name, { exact: true }) });
  }

  /** On a phone-sized screen the list is hidden while a file is open: the editor is closed to show it. */
  private async showList(): Promise<void> {
    if (await this.page.getByRole("navigation", { name: "Notes and attachments" }).isVisible()) return;
    await this.page.getByRole("button", { name: "Close" }).click();
  }

  async waitForFile(name: string): Promise<void> {
    await this.showList();
    await this.fileButton(name).waitFor();
  }

  async open(name: string): Promise<void> {
    await this.showList();
    // On the element itself, not at its place on the screen: a file arriving meanwhile moves the list under a click.
    await this.fileButton(name).dispatchEvent("click");
    await this.page.waitForFunction(
      (wanted) => document.querySelector<HTMLInputElement>("#file-name")?.value === wanted,
      name,
    );
  }

  async newNote(name: string, text: string): Promise<void> {
    await this.page.getByRole("button", { name: "New note" }).click();
    await this.waitForIdle();
    await this.page.waitForFunction(() =>
      document.querySelector<HTMLInputElement>("#file-name")?.value.startsWith("Untitled note"),
    );
    await this.save(name, text);
  }

  async edit(name: string, text: string): Promise<void> {
    await this.open(name);
    await this.save(name, text);
  }

  private async save(name: string, text: string): Promise<void> {
    await this.page.getByLabel("Name", { exact: true }).fill(name);
    await this.page.getByLabel("Text", { exact: true }).fill(text);
    await this.page.getByRole("button", { name: "Save" }).click();
    await this.waitForIdle();
    await this.waitForFile(name);
  }

  /** Waits until the note, opened here, shows this text. */
  async waitForText(name: string, text: string): Promise<void> {
    await this.waitForFile(name);
    await this.open(name);
    await this.page.waitForFunction(
      (wanted) => document.querySelector<HTMLTextAreaElement>("#note-text")?.value === wanted,
      text,
    );
  }

  async noteText(name: string): Promise<string> {
    await this.open(name);
    return this.page.locator("#note-text").inputValue();
  }

  async fileNames(): Promise<string[]> {
    return this.page.locator("button.file .name").allTextContents();
  }

  /** Takes this device's network away (its browser context offline), and waits until the page says so. */
  async goOffline(): Promise<void> {
    await this.context.setOffline(true);
    await this.waitForOfflineStatus();
  }

  async waitForOfflineStatus(): Promise<void> {
    await this.page.getByText("Offline: changes are kept").waitFor();
  }

  /** Waits until the person's last action (its SDK calls and the refresh after them) is over. */
  async waitForIdle(): Promise<void> {
    await this.page.waitForFunction(() => document.querySelector("main")?.getAttribute("aria-busy") === "false");
  }

  /** Waits until nothing is pending here and no pass runs: up to date. */
  async waitForSynced(): Promise<void> {
    await this.page.waitForFunction(
      () =>
        document.querySelector("main")?.getAttribute("aria-busy") === "false" &&
        document.querySelector<HTMLElement>(".status")?.dataset.mode === "idle" &&
        document.querySelector(".files em") === null &&
        document.querySelector(".waiting")?.textContent === "",
    );
  }

  async attach(name: string, bytes: Buffer): Promise<void> {
    await this.page
      .getByLabel("Add attachments")
      .setInputFiles({ name, mimeType: "application/octet-stream", buffer: bytes });
    await this.waitForIdle();
  }

  /** The sha256 of the attachment's bytes as the browser downloads them from the app. */
  async downloadSha256(name: string): Promise<string> {
    await this.open(name);
    const [download] = await Promise.all([
      this.page.waitForEvent("download"),
      this.page.getByRole("button", { name: "Download" }).click(),
    ]);
    const hash = createHash("sha256");
    for await (const chunk of await download.createReadStream()) hash.update(chunk as Buffer);
    return hash.digest("hex");
  }

  /** The DevTools protocol on this page (one session, kept). */
  private async devtools(): Promise<CDPSession> {
    this.cdp ??= await devtoolsOf(this.context, this.page);
    return this.cdp;
  }

  /** Slows this page's uploads (bytes per second; null lifts it), so that a test sees a transfer in flight. */
  async throttleUploads(bytesPerSecond: number | null): Promise<void> {
    const cdp = await this.devtools();
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: bytesPerSecond ?? -1,
    });
  }

  /** Lifts the storage quota the device was opened with (`storageQuota`): room on its disk again. */
  async liftStorageQuota(): Promise<void> {
    const cdp = await this.devtools();
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(this.page.url()).origin });
  }

  /** Waits until the transfer progress shows bytes sent; returns what it says. */
  async waitForProgress(): Promise<string> {
    await this.page.waitForFunction(
      () => (document.querySelector<HTMLProgressElement>("#transfer-progress")?.value ?? 0) > 0,
    );
    return (await this.page.locator(".progress label").textContent()) ?? "";
  }

  async screenshot(name: string): Promise<void> {
    await DevicePage.screenshotOf(this.page, name);
  }

  /** screenshots/<name>.png, for the README. */
  static async screenshotOf(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
