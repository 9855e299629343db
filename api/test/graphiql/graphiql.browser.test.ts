// GraphiQL at /graphql, as a person uses it, in Debian's Chromium: the page
// loads with every request going to this server only, opens on smsync's
// example documents (not the stock welcome) with the headers template, and
// runs a query, a mutation and a live subscription with the device token
// pasted into the headers. The last state is saved as the screenshot the
// example app's README shows.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, tusUpload, type TestServer } from "@smsync/testkit";
import { chromiumAvailable, launchChromium } from "@smsync/testkit/chromium";

const screenshots = fileURLToPath(new URL("../../../examples/notes/screenshots/", import.meta.url));

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  server = await startTestServer();
  if (chromiumAvailable("the GraphiQL browser test")) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Replaces the text of the editor that `editor` locates (a Monaco editor of GraphiQL) with `text`. */
async function replaceEditorText(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(editor).first().click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

/** Switches to a tab (a click event: GraphiQL's tabs can be dragged, and a pointer's press is taken for a drag). */
async function openTab(page: Page, name: string): Promise<void> {
  await page.getByRole("tab", { name }).getByRole("button", { name, exact: true }).dispatchEvent("click");
  await expect.poll(() => page.getByRole("tab", { name }).getAttribute("aria-selected")).toBe("true");
}

/** The lines a Monaco editor of the page shows (it draws spaces as no-break spaces). */
async function editorText(page: Page, editor: string): Promise<string> {
  return (await page.locator(`${editor} .view-lines`).first().innerText()).replaceAll("\u00a0", " ");
}

/** The text of the response pane once it shows `expected`. */
async function responseShowing(page: Page, expected: RegExp): Promise<string> {
  await expect.poll(() => editorText(page, ".graphiql-response"), { timeout: 30_000 }).toMatch(expected);
  return editorText(page, ".graphiql-response");
}

async function run(page: Page, operationName?: string): Promise<void> {
  await page.locator(".graphiql-execute-button").click();
  if (operationName) await page.getByRole("menuitem", { name: operationName, exact: true }).click();
}

describe.skipIf(!chromiumAvailable("the GraphiQL browser test"))("GraphiQL at /graphql", () => {
  it("loads from this server alone, opens on smsync's documents, and runs a query, a mutation and a subscription", async () => {
    const user = await server.newUser();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("websocket", (socket) => requested.push(socket.url()));
    await page.goto(`${server.url}/graphql`);

    // smsync's tabs, each with the headers template, instead of the stock welcome.
    await expect
      .poll(() => page.getByRole("tab").allInnerTexts(), { timeout: 30_000 })
      .toEqual(["FileIndex", "Lock", "IndexChanges"]);
    await expect.poll(() => editorText(page, ".graphiql-query-editor")).toMatch(/query FileIndex/);
    expect(await editorText(page, ".graphiql-query-editor")).not.toMatch(/Welcome to GraphiQL/);
    // The headers and the variables editors share a place; the one shown is not hidden.
    const headersEditor = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";
    const variablesEditor = headersEditor;
    await expect.poll(() => editorText(page, headersEditor)).toMatch(/Bearer DEVICE_TOKEN/);

    // A query, with the device token pasted where the template says.
    const headers = JSON.stringify({ Authorization: `Bearer ${user.token}` });
    await replaceEditorText(page, headersEditor, headers);
    await run(page);
    expect(await responseShowing(page, /"eventSeq"/)).toMatch(/"files": \[\]/);

    // A mutation: the lock, asked twice with the same idempotency key, answers the same grant.
    await openTab(page, "Lock");
    await replaceEditorText(page, headersEditor, headers);
    await run(page, "Lock");
    const first = await responseShowing(page, /"fencingToken": \d+/);
    await run(page, "Lock");
    await responseShowing(page, /"fencingToken"/);
    expect(await editorText(page, ".graphiql-response")).toBe(first);
    const fencingToken = Number(/"fencingToken": (\d+)/.exec(first)![1]);

    // A subscription: each commit shows in the response pane as it happens.
    await openTab(page, "IndexChanges");
    await replaceEditorText(page, headersEditor, headers);
    await run(page, "IndexChanges");
    const fileUUID = randomUUID();
    await tusUpload(server.url, user.token!, { fileUUID, version: 0, content: Buffer.from("hello"), fencingToken });
    const operation = await user.commit(fencingToken);
    expect((await user.waitForOperation(operation.id, 60_000)).state).toBe("SUCCEEDED");
    const event = await responseShowing(page, new RegExp(fileUUID));
    expect(event).toMatch(new RegExp(`"operationId": "${operation.id}"`));
    await page.locator(".graphiql-execute-button").click(); // a running subscription's button stops it

    // The transfer's events, replayed from the start to its end.
    await page.getByRole("button", { name: "Variables", exact: true }).click();
    await replaceEditorText(page, variablesEditor, JSON.stringify({ operationId: operation.id }));
    await run(page, "TransferProgress");
    await responseShowing(page, /"state": "SUCCEEDED"/);

    // Nothing but this server, the page's own blobs and inline data.
    const here = new URL(server.url).host;
    const elsewhere = requested.filter(
      (url) => !url.startsWith("blob:") && !url.startsWith("data:") && new URL(url).host !== here,
    );
    expect(elsewhere).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);

    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: path.join(screenshots, "graphiql.png") });
    await context.close();
  });
});
