// Runs in a real browser page (bundled by syncEngine.browser.test.ts, served
// from another origin than the smsync server): a BrowserSmsyncClient over
// the browser's IndexedDB, driven by the test through window.smsync, which
// records what the app was handed (each download's bytes, as base64) and
// each event.
import { BrowserSmsyncClient, IndexedDbStore, type BrowserDownloadedFile, type Mode } from "../../src/browser.ts";
import { base64ToBytes, bytesToBase64, sha256Hex } from "../../src/platform/bytes.ts";
import { UploadCopyStore } from "../../src/browser/UploadCopyStore.ts";

export interface SavedDownload {
  fileUUID: string;
  version: number;
  size: number;
  sha256: string;
  /** sha256 of the Blob's bytes, computed here. */
  blobSha256: string;
  base64: string;
}

interface PageState {
  client: BrowserSmsyncClient | null;
  store: IndexedDbStore | null;
  saved: SavedDownload[];
  modes: Mode[];
  events: { name: string; payload: unknown }[];
  syncResult: { done: boolean; error: string | null } | null;
}

const state: PageState = { client: null, store: null, saved: [], modes: [], events: [], syncResult: null };

function client(): BrowserSmsyncClient {
  if (!state.client) throw new Error("open a client first");
  return state.client;
}

const api = {
  async open(databaseName: string, serverUrl: string, token: string, lifecycle = true): Promise<Mode> {
    const store = await IndexedDbStore.open(databaseName);
    state.store = store;
    state.client = await BrowserSmsyncClient.open({
      serverUrl,
      token,
      store,
      lifecycle,
      callbacks: {
        async saveDownload(file: BrowserDownloadedFile) {
          const bytes = new Uint8Array(await file.blob.arrayBuffer());
          state.saved.push({
            fileUUID: file.fileUUID,
            version: file.version,
            size: file.size,
            sha256: file.sha256,
            blobSha256: await sha256Hex(bytes),
            base64: bytesToBase64(bytes),
          });
        },
        async applyDeletions() {},
      },
      engine: { pollMs: 50, lockRetryMaxMs: 200, backoff: { initialMs: 100, maxMs: 1000 }, transferRetryDelays: [] },
      outbox: { backoff: { initialMs: 100, maxMs: 1000 } },
    });
    state.client.on("modeChanged", ({ mode }) => state.modes.push(mode));
    for (const name of [
      "singleUploadComplete",
      "allUploadsComplete",
      "singleDownloadComplete",
      "downloadsFinished",
      "transferProgress",
      "remoteChange",
      "liveConnection",
    ] as const) {
      state.client.on(name, (payload) => state.events.push({ name, payload }));
    }
    return state.client.mode;
  },
  uploadData: (fileUUID: string, base64: string, cloudFileName: string) =>
    client().uploadData(fileUUID, base64ToBytes(base64), { cloudFileName, mimeType: "application/octet-stream" }),
  uploadBlob: (fileUUID: string, base64: string, cloudFileName: string) =>
    client().uploadBlob(fileUUID, new File([base64ToBytes(base64) as BlobPart], cloudFileName), {
      cloudFileName,
      mimeType: "application/octet-stream",
    }),
  commit: async () => (await client().commit())?.batch ?? null,
  sync: () => client().sync(),
  /** Starts a pass without waiting for it; syncResult tells how it ended. */
  startSync(): void {
    state.syncResult = { done: false, error: null };
    const result = state.syncResult;
    client()
      .sync()
      .then(
        () => (result.done = true),
        (error: Error) => Object.assign(result, { done: true, error: `${error.name}: ${error.message}` }),
      );
  },
  syncResult: () => state.syncResult,
  startLive: (pollMs: number) => client().startLive({ pollMs }),
  stopLive: () => client().stopLive(),
  live: () => client().live,
  /** The payloads of the events of that name, in order. */
  eventsNamed: (name: string) => state.events.filter((event) => event.name === name).map((event) => event.payload),
  mode: () => client().mode,
  /** tus resume URLs kept in the store (an upload cut mid-way). */
  tusResumeCount: async () => (await state.store!.list("tusUploads")).length,
  /** Mutations stored in the outbox and not yet answered (held while offline). */
  outboxPending: async () => (await state.store!.list("outbox")).length,
  status: (fileUUID: string) => client().localFileStatus(fileUUID),
  saved: () => state.saved,
  modes: () => state.modes,
  eventNames: () => state.events.map((event) => event.name),
  uploadProgress: () =>
    state.events.filter(
      (event) => event.name === "transferProgress" && (event.payload as { direction: string }).direction === "upload",
    ).length,
  /** The page going to the background and back, as a browser reports it. */
  setVisibility(visibility: "hidden" | "visible"): void {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => visibility });
    document.dispatchEvent(new Event("visibilitychange"));
  },
  async copyCount(databaseName: string): Promise<number> {
    const copies = await UploadCopyStore.open(`${databaseName}.uploadCopies`);
    const count = (await copies.keys()).length;
    copies.close();
    return count;
  },
  close: () => client().close(),
};

declare global {
  interface Window {
    smsync: typeof api;
    smsyncReady?: boolean;
  }
}

window.smsync = api;
window.smsyncReady = true;
