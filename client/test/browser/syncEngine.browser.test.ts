// The browser build of the sync engine in a real browser (Debian's Chromium,
// headless, driven by playwright-core) against a real smsync server. The page
// is served from another origin than the server (another port), and the
// server allows that origin only (SMSYNC_CORS_ORIGINS), so every GraphQL,
// tus and download request goes through CORS. What is asserted is what the
// server holds (its file index, its sha256) and the bytes the other device's
// app was handed. Skipped outside CI when there is no /usr/bin/chromium.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitNewFiles, startTestServer, type TestGraphQLClient, type TestServer } from "@smsync/testkit";
import { chromiumAvailable, launchChromium, servePage, type ServedPage } from "./browserPage.ts";

const available = chromiumAvailable("the browser engine test");

let served: ServedPage;
let server: TestServer;
let browser: Browser;
let pageUrl: string;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  if (!available) return;
  served = await servePage(path.join(import.meta.dirname, "syncEnginePage.ts"));
  pageUrl = served.url;
  server = await startTestServer({ SMSYNC_CORS_ORIGINS: pageUrl });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await served?.close();
});

/** A page of the app with the SDK loaded. */
async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${pageUrl}/`);
  await page.waitForFunction(() => window.smsyncReady === true);
  return page;
}

/** A page's client for the device, over an IndexedDB of its own. */
async function openClient(
  page: Page,
  databaseName: string,
  device: TestGraphQLClient,
  lifecycle = true,
): Promise<void> {
  const mode = await page.evaluate(([name, url, token, follow]) => window.smsync.open(name, url, token, follow), [
    databaseName,
    server.url,
    device.token!,
    lifecycle,
  ] as const);
  expect(mode).toBe("idle");
}

/** A new user's device with a client in a page of a new browser context (its own IndexedDB). */
async function newDevicePage(prefix: string, lifecycle = true) {
  const phone = await server.newUser();
  const context = await browser.newContext();
  const page = await openPage(context);
  const databaseName = `${prefix}-${randomUUID()}`;
  await openClient(page, databaseName, phone, lifecycle);
  return { phone, context, page, databaseName };
}

/** Slows the page's uploads (bytes per second) so that a test can act while one runs; null lifts it. */
async function throttleUploads(context: BrowserContext, page: Page, bytesPerSecond: number | null): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond ?? -1,
  });
}

/**
 * Queues and commits a Blob of `size` random bytes, slows the page's uploads
 * and starts a pass; resolves once the upload has sent bytes (it is in flight).
 * The size must be over serverInfo's batchMaxFileBytes (1 MiB), so that the
 * file goes over tus, whose progress shows the upload in flight.
 */
async function startSlowUpload(
  context: BrowserContext,
  page: Page,
  name: string,
  size: number,
): Promise<{ fileUUID: string; content: Buffer }> {
  const content = randomBytes(size);
  const fileUUID = randomUUID();
  await page.evaluate(([uuid, base64, cloudName]) => window.smsync.uploadBlob(uuid, base64, cloudName), [
    fileUUID,
    content.toString("base64"),
    name,
  ] as const);
  await page.evaluate(() => window.smsync.commit());
  await throttleUploads(context, page, 200_000);
  await page.evaluate(() => window.smsync.startSync());
  await page.waitForFunction(() => window.smsync.uploadProgress() > 1);
  return { fileUUID, content };
}

/** The server's index entry of a file (null if it has none). */
async function serverEntry(device: TestGraphQLClient, fileUUID: string) {
  const { files } = await device.fileIndex();
  return (files as { fileUUID: string }[]).find((file) => file.fileUUID === fileUUID) ?? null;
}

describe.skipIf(!available)("the sync engine in Chromium, from another origin", () => {
  it("keeps ws, node:fs and the Node platform out of the browser bundle", () => {
    const inputs = Object.keys(served.inputs);
    expect(inputs.some((input) => input.includes("src/browser/BrowserSmsyncClient.ts"))).toBe(true);
    // package.json's "browser" field maps ws and nodeFiles.ts to nothing: esbuild lists them as "(disabled)".
    const bundled = inputs.filter((input) => !input.startsWith("(disabled)"));
    expect(
      bundled.filter((input) => /node_modules\/ws\/|nodePlatform|downloader\.ts|nodeFiles\.ts|SqliteStore/.test(input)),
    ).toEqual([]);
  });

  it("uploads data and a Blob from one browser device and hands the bytes to another", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const context = await browser.newContext();
    const [pageA, pageB] = [await openPage(context), await openPage(context)];
    const databaseA = `a-${randomUUID()}`;
    await openClient(pageA, databaseA, phone);
    await openClient(pageB, `b-${randomUUID()}`, laptop);

    const data = randomBytes(50_000);
    const blob = randomBytes(700_000);
    const [dataUUID, blobUUID] = [randomUUID(), randomUUID()];
    await pageA.evaluate(([uuid, base64]) => window.smsync.uploadData(uuid, base64, "data.bin"), [
      dataUUID,
      data.toString("base64"),
    ] as const);
    await pageA.evaluate(([uuid, base64]) => window.smsync.uploadBlob(uuid, base64, "blob.bin"), [
      blobUUID,
      blob.toString("base64"),
    ] as const);
    expect(await pageA.evaluate(() => window.smsync.commit())).toBe(1);
    await pageA.evaluate(() => window.smsync.sync());
    expect(await pageA.evaluate(() => window.smsync.mode())).toBe("idle");
    expect(await pageA.evaluate(() => window.smsync.eventNames())).toContain("allUploadsComplete");

    expect(await serverEntry(phone, dataUUID)).toMatchObject({
      version: 0,
      sha256: sha256(data),
      size: data.length,
      deleted: false,
    });
    expect(await serverEntry(phone, blobUUID)).toMatchObject({
      version: 0,
      sha256: sha256(blob),
      size: blob.length,
      deleted: false,
    });
    // The Blob's copy in IndexedDB is removed once it is uploaded.
    expect(await pageA.evaluate((name) => window.smsync.copyCount(name), databaseA)).toBe(0);

    await pageB.evaluate(() => window.smsync.sync());
    const saved = await pageB.evaluate(() => window.smsync.saved());
    expect(saved.map((file) => file.fileUUID).sort()).toEqual([dataUUID, blobUUID].sort());
    for (const [uuid, bytes] of [
      [dataUUID, data],
      [blobUUID, blob],
    ] as const) {
      const file = saved.find((candidate) => candidate.fileUUID === uuid)!;
      expect(file).toMatchObject({ version: 0, size: bytes.length, sha256: sha256(bytes), blobSha256: sha256(bytes) });
      expect(sha256(Buffer.from(file.base64, "base64"))).toBe(sha256(bytes));
    }
    expect(await pageB.evaluate((uuid) => window.smsync.status(uuid), blobUUID)).toMatchObject({
      file: { version: 0, sha256: sha256(blob) },
      pending: null,
      downloading: false,
    });
    await context.close();
  });

  it("in live mode, brings another device's commit without sync()", async () => {
    const phone = await server.newUser();
    const laptop = await server.newDevice(phone.userName);
    const context = await browser.newContext();
    const page = await openPage(context);
    await openClient(page, `live-${randomUUID()}`, laptop);
    await page.evaluate(() => window.smsync.startLive(200));
    expect(await page.evaluate(() => window.smsync.live())).toBe(true);
    expect(await page.evaluate(() => window.smsync.eventsNamed("liveConnection"))).toEqual([{ state: "subscribed" }]);

    // startLive's catch-up pass (which holds the lock for a moment) is over before the phone takes the lock.
    await page.waitForFunction(
      () => window.smsync.modes().includes("synchronizing") && window.smsync.mode() === "idle",
    );
    // The phone commits over the protocol itself; the page only listens.
    const { operation, files } = await commitNewFiles(server, phone, 1);
    expect((await phone.waitForOperation(operation.id, 60_000)).state).toBe("SUCCEEDED");
    const [file] = files;
    await page.waitForFunction((uuid) => window.smsync.saved().some((saved) => saved.fileUUID === uuid), file.fileUUID);
    const saved = (await page.evaluate(() => window.smsync.saved())).find((s) => s.fileUUID === file.fileUUID)!;
    expect(saved.blobSha256).toBe(sha256(file.content));
    expect(await page.evaluate(() => window.smsync.eventsNamed("remoteChange"))).toEqual([
      expect.objectContaining({
        operationId: operation.id,
        files: [{ fileUUID: file.fileUUID, version: 0, deleted: false }],
      }),
    ]);

    await page.evaluate(() => window.smsync.stopLive());
    expect(await page.evaluate(() => window.smsync.live())).toBe(false);
    await context.close();
  });

  it("resumes from the IndexedDB store after a reload in the middle of an upload", async () => {
    const { phone, context, page, databaseName } = await newDevicePage("reload");
    const { fileUUID, content } = await startSlowUpload(context, page, "big.bin", 1_500_000);

    await page.reload();
    await page.waitForFunction(() => window.smsyncReady === true);
    await throttleUploads(context, page, null);
    await openClient(page, databaseName, phone);
    // The batch was being uploaded when the page went away; its Blob is still in IndexedDB.
    expect(await page.evaluate((uuid) => window.smsync.status(uuid), fileUUID)).toMatchObject({
      pending: { stage: "uploading", kind: "upload" },
    });
    expect(await page.evaluate((name) => window.smsync.copyCount(name), databaseName)).toBe(1);
    // So is the tus upload's resume URL: the upload goes on from the server's offset.
    expect(await page.evaluate(() => window.smsync.tusResumeCount())).toBe(1);
    expect(await serverEntry(phone, fileUUID)).toBeNull();

    await page.evaluate(() => window.smsync.sync());
    expect(await page.evaluate(() => window.smsync.mode())).toBe("idle");
    expect(await serverEntry(phone, fileUUID)).toMatchObject({
      version: 0,
      sha256: sha256(content),
      size: content.length,
    });
    expect(await page.evaluate((uuid) => window.smsync.status(uuid), fileUUID)).toMatchObject({
      file: { version: 0 },
      pending: null,
    });
    expect(await page.evaluate((name) => window.smsync.copyCount(name), databaseName)).toBe(0);
    expect(await page.evaluate(() => window.smsync.tusResumeCount())).toBe(0);
    await context.close();
  });

  it("holds the sync while the browser is offline and finishes it once it is back online", async () => {
    const { phone, context, page } = await newDevicePage("offline");
    const { fileUUID, content } = await startSlowUpload(context, page, "offline.bin", 1_200_000);

    // The window's offline event: setOnline(false). Chromium lets the request in flight finish, so the
    // client either fails it (networkNotConnected) or holds the next mutation (the commit) in the outbox.
    await context.setOffline(true);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    await page.waitForFunction(
      async () => window.smsync.mode() === "networkNotConnected" || (await window.smsync.outboxPending()) > 0,
    );
    expect(await page.evaluate(() => window.smsync.mode())).toMatch(/^(synchronizing|networkNotConnected)$/);
    expect(await page.evaluate(() => window.smsync.eventNames())).not.toContain("allUploadsComplete");
    expect(await serverEntry(phone, fileUUID)).toBeNull();

    await context.setOffline(false); // the window's online event: setOnline(true) sends at once
    await page.waitForFunction(
      () => window.smsync.mode() === "idle" && window.smsync.eventNames().includes("allUploadsComplete"),
    );
    expect(await serverEntry(phone, fileUUID)).toMatchObject({
      version: 0,
      sha256: sha256(content),
      size: content.length,
    });
    expect(await page.evaluate(() => window.smsync.outboxPending())).toBe(0);
    expect(await page.evaluate(() => window.smsync.modes())).not.toEqual(expect.arrayContaining(["internalError"]));
    await context.close();
  });

  it("suspends a running sync when the page is hidden and resumes it when it is shown", async () => {
    const { phone, context, page } = await newDevicePage("hidden");
    const { fileUUID, content } = await startSlowUpload(context, page, "hidden.bin", 1_200_000);

    await page.evaluate(() => window.smsync.setVisibility("hidden"));
    // The pass ends (suspended is not a failure) with the upload unfinished.
    await page.waitForFunction(() => window.smsync.syncResult()?.done === true);
    expect(await page.evaluate(() => window.smsync.syncResult())).toEqual({ done: true, error: null });
    expect(await page.evaluate(() => window.smsync.mode())).toBe("idle");
    expect(await page.evaluate((uuid) => window.smsync.status(uuid), fileUUID)).toMatchObject({
      pending: { stage: "uploading" },
    });
    expect(await page.evaluate(() => window.smsync.eventNames())).not.toContain("allUploadsComplete");
    expect(await serverEntry(phone, fileUUID)).toBeNull();

    await throttleUploads(context, page, null);
    await page.evaluate(() => window.smsync.setVisibility("visible"));
    await page.waitForFunction(
      () => window.smsync.mode() === "idle" && window.smsync.eventNames().includes("allUploadsComplete"),
    );
    expect(await serverEntry(phone, fileUUID)).toMatchObject({
      version: 0,
      sha256: sha256(content),
      size: content.length,
    });
    await context.close();
  });

  it("leaves visibility to the app when lifecycle is off", async () => {
    const { phone, context, page } = await newDevicePage("manual", false);
    const { fileUUID, content } = await startSlowUpload(context, page, "manual.bin", 1_200_000);
    await page.evaluate(() => window.smsync.setVisibility("hidden"));
    await throttleUploads(context, page, null);
    // Not suspended: the pass runs to its end while the page is hidden.
    await page.waitForFunction(() => window.smsync.syncResult()?.done === true);
    expect(await page.evaluate(() => window.smsync.eventNames())).toContain("allUploadsComplete");
    expect(await serverEntry(phone, fileUUID)).toMatchObject({ version: 0, sha256: sha256(content) });
    await context.close();
  });
});
