// The SDK's public API in a browser: the same client as Node's SmsyncClient
// (ClientBase.ts) over an IndexedDbStore, with the browser's platform
// (downloads as Blobs, queued Blobs copied into IndexedDB) and, unless turned
// off, the page's lifecycle: online/offline events and visibility.
//
// uploadBlob copies the Blob (or File) into IndexedDB (UploadCopyStore.ts)
// and hashes that copy, so what is uploaded is exactly what was queued, even
// after a reload; uploadData keeps small payloads in the store (base64).
import {
  ClientBase,
  connectClient,
  type ClientBaseOptions,
  type ClientParts,
  type UploadOptions,
} from "../ClientBase.ts";
import { sha256Hex } from "../platform/bytes.ts";
import { queueUpload } from "../queues/uploadsBeingPrepared.ts";
import type { IndexedDbStore } from "../store/IndexedDbStore.ts";
import { BrowserPlatform, type BrowserDownloadedFile } from "./browserPlatform.ts";
import { attachBrowserLifecycle } from "./lifecycle.ts";
import { UploadCopyStore } from "./UploadCopyStore.ts";

export interface BrowserClientOptions extends ClientBaseOptions<BrowserDownloadedFile> {
  store: IndexedDbStore;
  /**
   * Follow the page's lifecycle (default true): the window's online/offline
   * events call setOnline, the page hidden calls suspend() and shown again
   * resume(). false leaves these calls to the app.
   */
  lifecycle?: boolean;
}

export class BrowserSmsyncClient extends ClientBase<BrowserDownloadedFile> {
  private detachLifecycle: () => void = () => undefined;

  private constructor(
    options: BrowserClientOptions,
    parts: ClientParts<BrowserDownloadedFile>,
    private readonly copies: UploadCopyStore,
  ) {
    super(options, parts);
  }

  static async open(options: BrowserClientOptions): Promise<BrowserSmsyncClient> {
    const copies = await UploadCopyStore.open(`${options.store.name}.uploadCopies`);
    // The platform's WebSocket for subscriptions (the ws package is Node's and is kept out of browser bundles).
    const parts = await connectClient(options, new BrowserPlatform(copies), globalThis.WebSocket);
    const client = new BrowserSmsyncClient(options, parts, copies);
    if (options.lifecycle ?? true) {
      client.detachLifecycle = attachBrowserLifecycle(client);
      if (!navigator.onLine) client.setOnline(false);
    }
    return client;
  }

  /**
   * Queues an upload of a Blob or File: copied into IndexedDB now (kept
   * across reloads, on disk rather than in memory) and hashed from that copy
   * (read whole into memory once while it is hashed).
   */
  async uploadBlob(fileUUID: string, blob: Blob, options: UploadOptions): Promise<void> {
    this.checkUsable();
    const key = `${fileUUID}.${globalThis.crypto.randomUUID()}`;
    this.engine.copiesBeingQueued.add(key);
    try {
      await this.copies.put(key, blob);
      const copy = (await this.copies.get(key))!;
      const sha256 = await sha256Hex(await copy.arrayBuffer());
      await queueUpload(
        this.options.store,
        this.prepared(fileUUID, { blobKey: key }, sha256, copy.size, false, options),
      );
    } catch (error) {
      // The call fails with its own error; a copy this leaves, no change refers
      // to, so the next pass's sweep removes it (and fails if it cannot).
      await this.copies.delete(key).catch(() => undefined);
      throw error;
    } finally {
      this.engine.copiesBeingQueued.delete(key);
    }
  }

  /** Detaches the lifecycle listeners, stops the engine and the outbox (what is pending stays stored) and closes the store. */
  override async close(options: { closeStore?: boolean } = {}): Promise<void> {
    this.detachLifecycle();
    await super.close(options);
    this.copies.close();
  }
}
