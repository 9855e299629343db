// The client store's collections that hold work in progress: empty once a
// device has synced everything (as client/test/support/syncedState.ts, which
// imports vitest and so cannot be loaded by the command line simulator).
import type { Collection } from "@smsync/client";

export const workCollections: Collection[] = [
  "uploadsBeingPrepared",
  "committedUploads",
  "beingUploaded",
  "beingDownloaded",
  "outbox",
  "outboxResults",
  "tusUploads",
];
