// The IndexedDB store in a real browser: Debian's Chromium, headless, driven
// by playwright-core (a fresh profile per launch), on a page served from
// 127.0.0.1; the data must survive a reload. CI installs Chromium (.ci/run); elsewhere the test is skipped
// with a message when there is no /usr/bin/chromium.
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { currentSchemaVersion } from "../../src/store/migrations.ts";
import type { FixtureRow } from "../support/storeFixtureV1.ts";
import { chromiumAvailable, launchChromium, servePage, type ServedPage } from "./browserPage.ts";

const available = chromiumAvailable("the browser test");

let served: ServedPage;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  if (!available) return;
  served = await servePage(path.join(import.meta.dirname, "indexedDbPage.ts"));
  baseUrl = served.url;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe.skipIf(!available)("IndexedDbStore in Chromium", () => {
  it("keeps key order, JSON semantics and all-or-nothing commits, and its data across a reload", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${baseUrl}/?visit=first`);
    await page.waitForFunction(() => window.smsyncResult !== undefined);
    const first = await page.evaluate(() => window.smsyncResult);
    expect(first).toEqual({
      ok: true,
      order: [9, 10],
      date: "1970-01-01T00:00:00.000Z",
      refused: true,
      modeAfterRefusal: "idle",
    });

    await page.goto(`${baseUrl}/?visit=second`);
    await page.waitForFunction(() => window.smsyncResult !== undefined);
    expect(await page.evaluate(() => window.smsyncResult)).toEqual({ ok: true, modeAfterReload: "idle", batches: 2 });
    await context.close();
  });

  it("migrates a store of schema version 1 (the fixture), refuses a corrupted record and a newer schema", async () => {
    const db = new Database(path.join(import.meta.dirname, "../fixtures/clientStore-v1.sqlite"), { readonly: true });
    const rows = db.prepare("SELECT collection, key, value FROM entries").all() as FixtureRow[];
    db.close();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${baseUrl}/?visit=fixture`);
    await page.waitForFunction(() => window.smsyncOpenFixture !== undefined);
    const result = await page.evaluate((fixture) => window.smsyncOpenFixture!(fixture), rows);
    const expected = Object.fromEntries(
      rows.map((row) => {
        const value = JSON.parse(row.value) as unknown;
        return [
          `${row.collection}/${row.key}`,
          row.key === "engine.outbound" ? { ...(value as Record<string, unknown>), resumes: 0 } : value,
        ];
      }),
    );
    expect(result).toEqual({
      schemaVersion: currentSchemaVersion,
      read: expected,
      refusal: { name: "StoreRecordError", code: "STORE_RECORD", collection: "files", key: "f1" },
      newer: { name: "StoreSchemaError", code: "STORE_SCHEMA" },
    });
    await context.close();
  });
});
