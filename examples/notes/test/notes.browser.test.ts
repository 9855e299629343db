// The notes app in Chromium (Debian's, headless, through playwright-core),
// two devices of one account in two browser contexts, against a real smsync
// server process (ProcessServer: it can be killed and started again on the
// same port and data). The app is the build `npm run demo` serves, from an
// origin of its own; the server allows that origin only. What is asserted is
// what each device shows a person, and what the server holds. The states
// passed through are saved as screenshots/*.png for the README.
import { createHash, randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessServer, type TestGraphQLClient } from "@smsync/testkit";
import { chromiumAvailable, launchChromium } from "@smsync/testkit/chromium";
import { DevicePage } from "./support/DevicePage.ts";
import { revokeDevice } from "./support/revokeDevice.ts";
import { serveApp, type ServedApp } from "./support/servedApp.ts";

const available = chromiumAvailable("the notes app's browser tests");
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

let app: ServedApp;
let server: ProcessServer;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  app = await serveApp();
  server = await ProcessServer.create({ environment: { SMSYNC_CORS_ORIGINS: app.url } });
  await server.start();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await app?.close();
});

interface Account {
  userName: string;
  laptop: DevicePage;
  phone: DevicePage;
  /** The protocol's view of the account, for what the server holds. */
  api: TestGraphQLClient;
}

/** A new account with two devices: a laptop-sized window and a phone-sized one (its disk nearly full: `phoneStorageQuota`). */
async function newAccount({ phoneStorageQuota }: { phoneStorageQuota?: number } = {}): Promise<Account> {
  const first = await server.newUser();
  const second = await server.newDevice(first.userName, "phone");
  const open = (token: string, label: string, viewport: { width: number; height: number }, storageQuota?: number) =>
    DevicePage.open(browser, {
      appUrl: app.url,
      serverUrl: server.url,
      token,
      label,
      viewport,
      ...(storageQuota === undefined ? {} : { storageQuota }),
    });
  return {
    userName: first.userName,
    laptop: await open(first.client.token!, "laptop", { width: 1000, height: 700 }),
    phone: await open(second.client.token!, "phone", { width: 390, height: 760 }, phoneStorageQuota),
    api: first.client,
  };
}

async function closeAccount(account: Account): Promise<void> {
  await account.laptop.close();
  await account.phone.close();
}

/** The server's index entry of the file of that name. */
async function serverFile(api: TestGraphQLClient, name: string) {
  const { files } = await api.fileIndex();
  return files.find((file) => file.cloudFileName === name && !file.deleted);
}

/** A note the laptop wrote, once the phone has it too. */
async function noteOnBoth({ laptop, phone }: Account, name: string, text: string): Promise<void> {
  await laptop.newNote(name, text);
  await phone.waitForText(name, text);
}

/**
 * Attaches 20 MiB of random bytes with the device's uploads slowed (so that
 * the upload is seen in flight; the caller lifts it), and resolves once the
 * progress shows bytes sent, with what it says.
 */
async function attachSlowly(device: DevicePage, name: string): Promise<{ bytes: Buffer; progress: string }> {
  const bytes = randomBytes(20 * 1024 * 1024);
  await device.throttleUploads(2_000_000);
  await device.attach(name, bytes);
  return { bytes, progress: await device.waitForProgress() };
}

/** The laptop's attachment is up, on the server and on the phone, with the same sha256. */
async function expectArrivedWhole({ laptop, phone, api }: Account, name: string, bytes: Buffer): Promise<void> {
  await laptop.waitForSynced();
  expect(await serverFile(api, name)).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
  await phone.waitForFile(name);
  await phone.waitForSynced();
  expect(await phone.downloadSha256(name)).toBe(sha256(bytes));
}

describe.skipIf(!available)("the notes app, two devices in Chromium", () => {
  it("shows a note written on one device on the other", async () => {
    const account = await newAccount();
    const { laptop, phone } = account;
    await laptop.newNote("Shopping.txt", "milk\neggs\nbread");
    await laptop.open("Shopping.txt");
    await laptop.waitForSynced();
    await laptop.screenshot("editor");

    await phone.waitForText("Shopping.txt", "milk\neggs\nbread");
    await phone.waitForFile("Shopping.txt");
    await phone.page.getByText("“Shopping.txt” arrived").first().waitFor();
    await phone.screenshot("list-phone");
    await laptop.newNote("Ideas.txt", "a sync framework that never loses a file");
    await phone.waitForFile("Ideas.txt");
    await laptop.waitForFile("Ideas.txt");
    await laptop.waitForSynced();
    await laptop.screenshot("list");

    expect((await serverFile(account.api, "Shopping.txt"))?.sha256).toBe(sha256("milk\neggs\nbread"));

    // The same device in a second tab does not start a second client over the same IndexedDB.
    const secondTab = await laptop.context.newPage();
    await secondTab.goto(laptop.page.url() + laptop.deviceFragment);
    await secondTab.getByText("laptop is open in another tab of this browser").waitFor();
    await closeAccount(account);
  });

  it("uploads a 20 MiB attachment with progress, and the other device gets the same bytes", async () => {
    const account = await newAccount();
    const { laptop } = account;
    const { bytes, progress } = await attachSlowly(laptop, "holiday.mov");
    expect(progress).toMatch(/^Uploading 0 of 1 file, .* of 21 MB$/);
    await laptop.screenshot("progress");
    await laptop.throttleUploads(null);

    await expectArrivedWhole(account, "holiday.mov", bytes);
    await closeAccount(account);
  });

  it("keeps edits made offline across a reload and uploads them when the network returns", async () => {
    const account = await newAccount();
    const { laptop, phone } = account;
    await noteOnBoth(account, "Plan.txt", "first draft");

    await laptop.goOffline();
    await laptop.edit("Plan.txt", "written on the train");
    await laptop.newNote("Offline.txt", "no network here");
    await laptop.page.reload();
    // The page came back from the offline shell, its edits from IndexedDB, still waiting to go up.
    await laptop.waitForOfflineStatus();
    expect(await laptop.noteText("Plan.txt")).toBe("written on the train");
    expect(await laptop.page.locator(".waiting").textContent()).toBe(" · 2 waiting to go up");
    await laptop.screenshot("offline");
    expect(await serverFile(account.api, "Offline.txt")).toBeUndefined();

    await laptop.context.setOffline(false);
    await laptop.waitForSynced();
    await phone.waitForText("Plan.txt", "written on the train");
    await phone.waitForText("Offline.txt", "no network here");
    expect((await serverFile(account.api, "Plan.txt"))?.sha256).toBe(sha256("written on the train"));
    await closeAccount(account);
  });

  for (const choice of ["Keep mine", "Take theirs", "Keep both"] as const) {
    it(`asks which version to keep when both devices changed a note: ${choice}`, async () => {
      const account = await newAccount();
      const { laptop, phone } = account;
      await noteOnBoth(account, "Recipe.txt", "flour");

      // The phone edits while offline; the laptop's edit reaches the server first.
      await phone.goOffline();
      await phone.edit("Recipe.txt", "flour, sugar (phone)");
      await laptop.edit("Recipe.txt", "flour, salt (laptop)");
      await laptop.waitForSynced();
      await phone.context.setOffline(false);

      const dialog = phone.page.getByRole("dialog", { name: "“Recipe.txt” changed on two devices" });
      await dialog.waitFor();
      if (choice === "Keep mine") await phone.screenshot("conflict");
      await dialog.getByRole("button", { name: choice }).click();
      await dialog.waitFor({ state: "hidden" });

      const expected: Record<string, string> = {
        "Keep mine": { "Recipe.txt": "flour, sugar (phone)" },
        "Take theirs": { "Recipe.txt": "flour, salt (laptop)" },
        "Keep both": { "Recipe.txt": "flour, salt (laptop)", "Recipe (conflict copy).txt": "flour, sugar (phone)" },
      }[choice];
      for (const device of [phone, laptop]) {
        for (const [name, text] of Object.entries(expected)) await device.waitForText(name, text);
        await device.waitForSynced();
        expect((await device.fileNames()).sort()).toEqual(Object.keys(expected).sort());
      }
      for (const [name, text] of Object.entries(expected)) {
        expect((await serverFile(account.api, name))?.sha256).toBe(sha256(text));
      }
      await closeAccount(account);
    });
  }

  it("shows an error mode with its code when the server refuses the device", async () => {
    const account = await newAccount();
    const { phone } = account;
    await revokeDevice(server, account.userName, "phone");
    // The new note goes up at once: the server refuses the token, and the client stops in an error mode.
    await phone.page.getByRole("button", { name: "New note" }).click();
    await phone.page.getByRole("alert").filter({ hasText: "Sync stopped with" }).waitFor();
    expect(await phone.page.locator(".error-code").textContent()).toBe("UNAUTHENTICATED");
    await phone.page.getByRole("button", { name: "Reset and retry" }).waitFor();
    await phone.screenshot("error");
    // The client keeps its mode across a reload (its error not): the page still offers the reset.
    await phone.page.reload();
    await phone.page.getByRole("alert").filter({ hasText: "Sync stopped before this page was opened" }).waitFor();
    await phone.page.getByRole("button", { name: "Reset and retry" }).waitFor();
    await closeAccount(account);
  });

  it("leaves an error mode by Reset and retry once its cause is gone: a full disk", async () => {
    // The phone's disk is nearly full (its storage quota 2 MiB): a note fits, a 4 MiB attachment does not.
    const account = await newAccount({ phoneStorageQuota: 2 * 1024 * 1024 });
    const { laptop, phone } = account;
    await noteOnBoth(account, "Packing.txt", "passport");

    // Offline, the phone edits the note; meanwhile the laptop adds an attachment.
    await phone.goOffline();
    await phone.edit("Packing.txt", "passport, charger");
    const bytes = randomBytes(4 * 1024 * 1024);
    await laptop.attach("tickets.pdf", bytes);
    await laptop.waitForSynced();

    // Online again, the phone's pass downloads first: the app cannot store the attachment (its saveDownload
    // rejects with IndexedDB's QuotaExceededError), and the client stops in internalError, the edit still here.
    await phone.context.setOffline(false);
    const alert = phone.page.getByRole("alert").filter({ hasText: "Sync stopped with" });
    await alert.waitFor();
    expect(await alert.locator(".error-code").textContent()).toBe("QuotaExceededError");
    expect(await phone.page.locator(".status").getAttribute("data-mode")).toBe("internalError");
    await phone.screenshot("error-disk-full");
    expect((await serverFile(account.api, "Packing.txt"))?.sha256).toBe(sha256("passport"));
    expect(await serverFile(account.api, "tickets.pdf")).toMatchObject({ sha256: sha256(bytes) });

    // Room again (the quota lifted), and the person presses the button: the pass runs again from the start.
    await phone.liftStorageQuota();
    await alert.getByRole("button", { name: "Reset and retry" }).click();
    await alert.waitFor({ state: "hidden" });
    await phone.waitForFile("tickets.pdf");
    await phone.waitForSynced();
    expect(await phone.downloadSha256("tickets.pdf")).toBe(sha256(bytes));
    await laptop.waitForText("Packing.txt", "passport, charger");
    await laptop.waitForSynced();
    expect((await serverFile(account.api, "Packing.txt"))?.sha256).toBe(sha256("passport, charger"));
    await closeAccount(account);
  });

  it("finishes an upload cut by a server restart by itself", async () => {
    const account = await newAccount();
    const { laptop } = account;
    const { bytes } = await attachSlowly(laptop, "backup.tar");
    // SIGKILL, then a new process on the same port and data; nobody touches the app.
    await server.restart();
    await laptop.throttleUploads(null);

    await expectArrivedWhole(account, "backup.tar", bytes);
    await closeAccount(account);
  });
});
