// Signing in to the notes app with Google, in Chromium: the server's Google
// is the fake on loopback (its consent page agrees, or refuses, at once), so
// the whole redirect runs for real: the app's button, Google's consent page,
// the return with a code, the server's exchange, a device token. Two devices
// signed in as one Google account share notes; the server holds one user.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessServer } from "@smsync/testkit";
import { chromiumAvailable, launchChromium } from "@smsync/testkit/chromium";
import { FakeGoogleOAuthServer } from "@smsync/testkit/fakeGoogleOAuth";
import { adminCommand } from "./support/adminCommand.ts";
import { DevicePage } from "./support/DevicePage.ts";
import { serveApp, type ServedApp } from "./support/servedApp.ts";

const available = chromiumAvailable("the notes app's Google sign-in tests");

let app: ServedApp;
let google: FakeGoogleOAuthServer;
let server: ProcessServer;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  app = await serveApp();
  google = await FakeGoogleOAuthServer.start();
  server = await ProcessServer.create({ environment: { ...google.environment(), SMSYNC_CORS_ORIGINS: app.url } });
  await server.start();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await google?.close();
  await app?.close();
});

describe.skipIf(!available)("the notes app, signed in with Google", () => {
  it("signs two devices in as one Google account, and a note goes from one to the other", async () => {
    google.consentingAccount = { subject: "30001", email: "ada@example.com" };
    const where = { appUrl: app.url, serverUrl: server.url };
    const laptop = await DevicePage.signInWithGoogle(browser, {
      ...where,
      label: "laptop",
      viewport: { width: 1000, height: 700 },
      beforeClick: (page) => DevicePage.screenshotOf(page, "sign-in"),
    });
    const phone = await DevicePage.signInWithGoogle(browser, {
      ...where,
      label: "phone",
      viewport: { width: 390, height: 760 },
    });

    // Each went to Google with PKCE and came back to the app's page, which no longer shows the code.
    expect(google.consents.map((consent) => consent.get("code_challenge_method"))).toEqual(["S256", "S256"]);
    expect(google.consents.map((consent) => consent.get("redirect_uri"))).toEqual([`${app.url}/`, `${app.url}/`]);
    expect(new URL(laptop.page.url()).search).toBe("");
    expect(await laptop.page.locator("header").textContent()).toContain("laptop");

    await laptop.newNote("From Google.txt", "signed in with Google");
    await phone.waitForText("From Google.txt", "signed in with Google");

    // One user for the Google account, with both devices.
    expect(await adminCommand(server, "list-users")).toContain("google-30001\tlaptop, phone\n");
    await laptop.close();
    await phone.close();
  });

  it("says so when the person refuses at Google, and stays on the sign-in form", async () => {
    google.consentingAccount = { subject: "30002", answer: "deny" };
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await page.getByLabel("Server URL").fill(server.url);
    await page.getByLabel("Server URL").press("Tab");
    await page.getByRole("button", { name: "Sign in with Google" }).click();
    await page.getByRole("alert").filter({ hasText: "access_denied" }).waitFor();
    await page.getByRole("button", { name: "Sign in with Google" }).waitFor();
    expect(new URL(page.url()).search).toBe("");
    await context.close();
  });
});
